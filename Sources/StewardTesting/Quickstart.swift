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
        try rewrite(work + "/rollouts/customer-support-agent.yaml") { String($0[..<$0.range(of: "      steps:")!.lowerBound]) + "      steps:\n" + steps }
        try rewrite(work + "/analysis/llm-defaults.yaml") {
            $0.replacingOccurrences(of: "interval: 1m", with: "interval: 10s").replacingOccurrences(of: "interval: 5m", with: "interval: 10s")
                .replacingOccurrences(of: "minSamples: 200", with: "minSamples: 100")
        }
        try rewrite(work + "/policies/default.yaml") { String($0[..<$0.range(of: "  changeWindows:")!.lowerBound]) }
    }
}
