import Foundation

/// The quickstart (`examples/quickstart`) made quick for tests that run an
/// agent: its own steps, ten-second looks, and no change windows (a test
/// runs on any day).
public enum Quickstart {
    /// Rewrites a copy of the quickstart at `work`: `steps` (YAML under
    /// `steps:`, indented as the rollout file has it) replace the
    /// customer-support-agent's, every look is ten seconds and needs 100
    /// samples, and the default policy has no change windows.
    public static func quicken(_ work: String, steps: String) throws {
        let rollout = work + "/rollouts/customer-support-agent.yaml"
        let text = try String(contentsOfFile: rollout, encoding: .utf8)
        try (String(text[..<text.range(of: "      steps:")!.lowerBound]) + "      steps:\n" + steps)
            .write(toFile: rollout, atomically: true, encoding: .utf8)
        let template = work + "/analysis/llm-defaults.yaml"
        try (try String(contentsOfFile: template, encoding: .utf8))
            .replacingOccurrences(of: "interval: 1m", with: "interval: 10s").replacingOccurrences(of: "interval: 5m", with: "interval: 10s")
            .replacingOccurrences(of: "minSamples: 200", with: "minSamples: 100")
            .write(toFile: template, atomically: true, encoding: .utf8)
        let policy = work + "/policies/default.yaml"
        let p = try String(contentsOfFile: policy, encoding: .utf8)
        try String(p[..<p.range(of: "  changeWindows:")!.lowerBound]).write(toFile: policy, atomically: true, encoding: .utf8)
    }
}
