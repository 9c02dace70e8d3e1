import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import StewardTesting

/// The real agent judging a canary on a real Prometheus server's numbers:
/// the quickstart's analysis rewritten to PromQL, the server backfilled with
/// each version's error ratio and request counter around now.
@Suite(.serialized) struct AgentPrometheusTests {
    typealias World = AgentEndToEndTests.World

    static let template = """
        apiVersion: steward/v1
        kind: AnalysisTemplate
        metadata:
          name: llm-defaults
        spec:
          confidence: 0.99
          metrics:
            - name: error-rate
              provider:
                prometheus:
                  query: max_over_time(error_ratio{model="{{model}}",version="{{version}}"}[{{window}}])
                  samples: sum(increase(requests_total{model="{{model}}",version="{{version}}"}[{{window}}]))
              failWhen: {above: 0.05}
              minSamples: 100
              interval: 5s
              severity: critical

        """

    /// A Prometheus holding fifteen minutes around now, one sample a second:
    /// the canary's error ratio near `canaryErrors`, stable's near 1%, and 20
    /// requests a second for each.
    static func prometheus(canaryErrors: Double) throws -> PrometheusServer {
        let now = Int(Date().timeIntervalSince1970), from = now - 120, to = now + 900
        var families = ["# TYPE error_ratio gauge"]
        for (version, errors) in [("2.4.0", canaryErrors), ("2.3.1", 0.01)] {
            // A little deterministic noise: a real ratio is never flat.
            families.append(PrometheusServer.samples("error_ratio", labels: "model=\"customer-support-agent\",version=\"\(version)\"",
                                                     from: from, to: to, every: 1) { errors * (1 + 0.1 * sin(Double($0))) })
        }
        families.append("# TYPE requests counter")
        for version in ["2.4.0", "2.3.1"] {
            families.append(PrometheusServer.samples("requests_total", labels: "model=\"customer-support-agent\",version=\"\(version)\"",
                                                     from: from, to: to, every: 1) { Double($0 * 20) })
        }
        return try PrometheusServer(openMetrics: families.joined(separator: "\n") + "\n")
    }

    /// The world's analysis read from Prometheus, committed after the canary started and pushed.
    static func analyseWithPrometheus(_ world: World, extra: (String) -> String = { $0 }) throws {
        try template.write(toFile: world.dir + "/work/analysis/llm-defaults.yaml", atomically: true, encoding: .utf8)
        let rollout = world.dir + "/work/rollouts/customer-support-agent.yaml"
        try extra(try String(contentsOfFile: rollout, encoding: .utf8)).write(toFile: rollout, atomically: true, encoding: .utf8)
        try world.git(["commit", "-qam", "Analysis from Prometheus"])
        try world.git(["push", "-q", world.dir + "/remote.git", "main"])
    }

    static func waitFor(seconds: Double, _ done: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try done() { return true }
            try await Task.sleep(for: .milliseconds(500))
        }
        return try done()
    }

    static func log(_ world: World) -> String { (try? String(contentsOfFile: world.dir + "/agent.log", encoding: .utf8)) ?? "" }

    /// A Prometheus holding the canary's error ratio, and the agent started against it (keep both until the test ends).
    static func agentReadingPrometheus(canaryErrors: Double) throws -> (prometheus: PrometheusServer, world: World) {
        let prometheus = try Self.prometheus(canaryErrors: canaryErrors)
        let world = try World()
        try Self.analyseWithPrometheus(world)
        _ = try world.start(environment: ["STEWARD_PROMETHEUS_ADDRESS": prometheus.address])
        return (prometheus, world)
    }

    @Test func anEightPercentErrorRateInPrometheusIsRevertedWithTheEvidence() async throws {
        let (prometheus, world) = try Self.agentReadingPrometheus(canaryErrors: 0.08)
        defer { withExtendedLifetime(prometheus) {} }
        let reverted = try await Self.waitFor(seconds: 150) {
            try world.remoteGit(["log", "--format=%s"]).contains("Revert \"Start canary 2.4.0\"")
        }
        #expect(reverted, "\(Self.log(world))")
        let trailers = try world.remoteGit(["log", "-1", "--format=%(trailers)", "--grep=Revert"])
        #expect(trailers.contains("Steward-Action: rollback"))
        #expect(trailers.contains("Steward-Reason: error-rate 0.08") && trailers.contains("> 0.05 (critical)"), "\(trailers)")
        #expect(trailers.contains(" samples"), "\(trailers)")
        let routes = try String(contentsOfFile: world.dir + "/state/routes.json", encoding: .utf8)
        #expect(!routes.contains("\"2.4.0\""), "\(routes)")
        #expect(world.stop() == 0)
    }

    @Test func aHealthyCanaryInPrometheusIsPromoted() async throws {
        let (prometheus, world) = try Self.agentReadingPrometheus(canaryErrors: 0.01)
        defer { withExtendedLifetime(prometheus) {} }
        let promoted = try await Self.waitFor(seconds: 180) {
            try world.remoteGit(["log", "--format=%s"]).contains("Promote customer-support-agent to 2.4.0")
        }
        #expect(promoted, "\(Self.log(world))")
        #expect(try world.remoteGit(["show", "main:rollouts/customer-support-agent.yaml"]).contains("  stable: 2.4.0\n"))
        #expect(world.stop() == 0)
    }

    /// Prometheus down: the metric is inconclusive with the reason, the
    /// canary holds at its first weight, and at the progress deadline the
    /// rollout pauses saying why. It is never promoted.
    @Test func aPrometheusThatIsDownPausesTheRolloutWithTheReason() async throws {
        let world = try World()
        try Self.analyseWithPrometheus(world) { $0.replacingOccurrences(of: "progressDeadline: 2h", with: "progressDeadline: 15s") }
        let closed = try freePort()
        let port = try world.start(environment: ["STEWARD_PROMETHEUS_ADDRESS": "http://127.0.0.1:\(closed)"])
        let paused = try await Self.waitFor(seconds: 60) {
            try world.remoteGit(["log", "--format=%s"]).contains("status: customer-support-agent paused")
        }
        #expect(paused, "\(Self.log(world))")
        let (body, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/status")!)
        let status = String(decoding: body, as: UTF8.self)
        #expect(status.contains("progress deadline: step 3 has waited 15s for evidence"), "\(status)")
        #expect(status.contains("error-rate inconclusive: Prometheus at http://127.0.0.1:\(closed) cannot be reached"), "\(status)")
        let subjects = try world.remoteGit(["log", "--format=%s"])
        #expect(!subjects.contains("Promote") && !subjects.contains("canary at 50%"), "\(subjects)")
        #expect(world.stop() == 0)
    }
}
