import StewardEngine
import StewardSimulation
import StewardSpec
import Testing

/// The oracle bound the suites report beside detection: which regressions
/// no analysis could have seen in the exposure they had.
@Suite struct OracleReachTests {
    static let rollout = "customer-support-agent"

    static func rules() throws -> RegressionRules {
        let desired = try ScenarioSuiteTests.quickstart()
        return RegressionRules(desired: desired, rollout: try #require(desired.rollouts[rollout]))
    }

    @Test func aRequestTellsTheSquaredDistanceOverItsVariance() throws {
        let rules = try Self.rules()
        #expect(abs(rules.criticalZ - 2.326) < 0.001, "the quickstart's confidence is 0.99")
        var stable = TrafficScenario.Behaviour(), canary = stable
        canary.errorRate = 0.1
        // (0.1 − 0.05)² / (0.1 · 0.9) per request.
        let told = rules.information(canary: canary, stable: stable, requests: 1_000)
        #expect(abs((told["error-rate"] ?? 0) - 1_000 * 0.0025 / 0.09) < 1e-9, "\(told)")
        canary.errorRate = 0.04
        stable.errorRate = 0.04
        #expect(rules.information(canary: canary, stable: stable, requests: 1_000).isEmpty, "a healthy canary tells nothing against it")
    }

    @Test func aSmallRareRegressionAtLowTrafficIsBeyondReachAndALargeBusyOneIsNot() throws {
        let desired = try ScenarioSuiteTests.quickstart()
        let rules = try Self.rules()
        func run(rpm: Double, set: (String, Double)) -> ClosedLoopSimulator.Run {
            let world = TrafficScenario(name: "w", rollout: Self.rollout, minutes: 300, requestsPerMinute: rpm, seed: 5, regression: true,
                                        stable: .init(), canary: .init(), events: [.init(target: .canary, from: 0, set: [set])])
            var controller = PlannerController(desired: desired, rollout: Self.rollout)
            return ClosedLoopSimulator.run(world, controller: &controller, seed: 5, rules: rules)
        }
        // Safety violations at 2.2 times stable's 0.05% (the limit is 2) at 20 requests a minute.
        let rare = run(rpm: 20, set: ("safetyRate", 0.0011))
        #expect(rare.regression == true && rare.withinReach == false && rare.withinReachHeld == false, "\(rare.reach) \(rare.heldReach)")
        // Errors at 15% (the limit is 5%) at 2,000 requests a minute.
        let busy = run(rpm: 2_000, set: ("errorRate", 0.15))
        #expect(busy.regression == true && busy.withinReach == true, "\(busy.reach)")
        #expect(busy.end != .promoted && busy.end != nil)
        // All the traffic on the canary for five hours tells more than the rollout's weights did, and bounds any analysis.
        #expect(rare.fullReach > rare.reach && busy.fullReach > busy.reach)
        #expect(try #require(rare.fullPower) < 0.5, "\(rare.fullReach)")
        #expect(try #require(busy.fullPower) > 0.999, "\(busy.fullReach)")
        // The oracle expects its z within minutes at 5% of 2,000 requests a minute: (0.1/0.357)² per request, 100 a minute.
        let oracle = try #require(busy.oracleMinute)
        #expect((1...2).contains(oracle), "\(oracle)")
    }
}
