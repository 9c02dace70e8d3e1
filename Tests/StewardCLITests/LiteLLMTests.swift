import Foundation
import StewardTesting
import Testing

/// LiteLLM's Router with Steward attached (`examples/gateway/litellm`):
/// LiteLLM 1.110.2 installed from PyPI, hashes checked, into a throwaway
/// virtual environment; two OpenAI-compatible stub servers on loopback (one
/// deployment each); many users routed sticky by the real agent's table; the
/// callback's outcomes judged by the real agent.
@Suite(.serialized) struct LiteLLMTests {
    struct Summary: Decodable {
        var end: String?
        var requests: Int
        var sent: Int
        var dropped: Int
        var movedBack: Int
        var splitChecks: Int
        var splitMisses: [[Double]]
        var pickMicrosecondsP50: Double?
        var pickMicrosecondsP99: Double?
    }

    /// Drives traffic through LiteLLM until the agent decides; returns what the driver saw.
    static func drive(_ world: AgentEndToEndTests.World, port: Int, python: String, canaryErrors: Double) throws -> (status: Int32, summary: Summary?, output: String) {
        let run = try Subprocess.runInOwnGroup([python, CommandLineTests.root + "/examples/gateway/litellm/litellm_traffic.py",
                                                "--agent", "http://127.0.0.1:\(port)", "--token-file", world.dir + "/token",
                                                "--model", "customer-support-agent", "--stable", "2.3.1", "--canary", "2.4.0",
                                                "--canary-errors", "\(canaryErrors)", "--seconds", "120"],
                                               in: world.dir, environment: ProcessInfo.processInfo.environment.merging(["LITELLM_LOCAL_MODEL_COST_MAP": "True"]) { $1 }, mergingErrors: true,
                                               timeout: 180)
        let line = run.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        return (run.status, try? JSONDecoder().decode(Summary.self, from: Data(line.utf8)), run.output)
    }

    @Test func aCanaryBehindLiteLLMIsRevertedWhenItFailsAndPromotedWhenItIsHealthy() async throws {
        let venv = NSTemporaryDirectory() + "steward-litellm-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: venv) }
        let setup = try Subprocess.run(["sh", "-c", "python3 -m venv \(venv) && \(venv)/bin/pip install -q --require-hashes -r "
                                        + "\(CommandLineTests.root)/examples/gateway/litellm/requirements.txt"], in: NSTemporaryDirectory(), mergingErrors: true)
        try #require(setup.status == 0, "\(setup.output)")

        // 8% of the canary's requests fail (the limit is 5%): dropped, then reverted by a commit.
        let failing = try AgentEndToEndTests.World()
        let failingRun = try Self.drive(failing, port: try failing.start(), python: venv + "/bin/python", canaryErrors: 0.08)
        #expect(failingRun.status == 0, "\(failingRun.output)")
        #expect(failingRun.summary?.end == "rolledBack", "\(failingRun.output.split(separator: "\n").last ?? "")")
        #expect(try failing.remoteGit(["log", "--format=%s"]).contains("Revert \"Start canary 2.4.0\""))
        #expect(try failing.remoteGit(["log", "-1", "--format=%(trailers)", "--grep=Revert"]).contains("Steward-Reason: error-rate"))
        #expect(failing.stop() == 0)

        // A healthy canary: walked up and promoted by a commit, every user keeping their version on the way.
        let healthy = try AgentEndToEndTests.World()
        let healthyRun = try Self.drive(healthy, port: try healthy.start(), python: venv + "/bin/python", canaryErrors: 0.0)
        #expect(healthyRun.status == 0, "\(healthyRun.output)")
        let summary = try #require(healthyRun.summary, "\(healthyRun.output)")
        #expect(summary.end == "promoted", "\(healthyRun.output)")
        #expect(summary.movedBack == 0 && summary.splitMisses.isEmpty && summary.splitChecks >= 3, "\(healthyRun.output)")
        #expect(summary.dropped == 0 && summary.sent > 1000, "\(healthyRun.output)")
        let promoted = try (0..<100).contains { _ in
            if try healthy.remoteGit(["log", "--format=%s"]).contains("Promote customer-support-agent to 2.4.0") { return true }
            Thread.sleep(forTimeInterval: 0.1)
            return false
        }
        #expect(promoted)
        print("LiteLLM: Steward's pick took \(summary.pickMicrosecondsP50 ?? 0) µs at the median, \(summary.pickMicrosecondsP99 ?? 0) µs at p99; "
              + "\(summary.sent) outcomes sent over \(summary.requests) requests")
        #expect(healthy.stop() == 0)
    }
}
