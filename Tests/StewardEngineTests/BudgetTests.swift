import Foundation
import StewardEngine
import StewardSpec
import Testing

/// A Policy's budgets against what the model's requests cost this period
/// (`Evidence.spent`, the agent's sum): said in the status, warned of once
/// per level, and with `action: hold`, no traffic toward a costlier canary.
@Suite struct BudgetTests {
    static func yaml(action: String) -> String {
        baseYAML(errorRateLimit: 1) + rolloutYAML() + """

            ---
            apiVersion: steward/v1
            kind: Policy
            metadata: {name: p}
            spec:
              budgets:
                - {period: day, maxCost: 100, currency: USD, warnAt: 0.8, action: \(action)}
            """
    }

    /// Healthy, the canary at twice stable's cost per request.
    static func costlier(_ version: SemanticVersion, _ weight: Int, _ minute: Int) -> [MetricReading] {
        let cost = version == v110 ? 0.002 : 0.001
        return [measured("error-rate", version, 0.005, samples: 2_000), measured("latency", version, 800, samples: 2_000),
                measured("cost", version, cost, samples: 2_000)]
    }

    /// Runs `minutes` with the day's spend growing by `perMinute`.
    static func run(_ s: inout Scenario, minutes: Int, spentAt start: Double, perMinute: Double,
                    measure: (SemanticVersion, Int, Int) -> [MetricReading] = costlier) {
        for minute in 0..<minutes {
            s.evidence.spent = ["m": [.day: start + perMinute * Double(minute)]]
            s.run(minutes: 1, measure: measure)
        }
    }

    /// The budget's warnings (the template's cost metric warns on its own).
    func alerts(_ s: Scenario) -> [String] {
        s.actions { if case .alert = $0 { true } else { false } }.compactMap(\.action.reason).filter { $0.hasPrefix("the day's budget") }
    }

    @Test func atItsLimitAHoldBudgetKeepsTrafficFromACostlierCanary() throws {
        var s = try Scenario(Self.yaml(action: "hold"))
        Self.run(&s, minutes: 120, spentAt: 100, perMinute: 0.5)
        #expect(s.weights == [5], "traffic moved past a spent budget: \(s.weights)")
        #expect(s.observed["r"]?.spend == ["day: 159.5 of 100 USD (160%)"], "\(s.observed["r"]?.spend ?? [])")
        #expect(alerts(s) == ["the day's budget for m has reached its limit: 100.0 of 100 USD (100%); traffic holds back from a costlier canary"],
                "\(alerts(s))")
    }

    @Test func aRegressionStillRollsBackWhileTheBudgetHolds() throws {
        var s = try Scenario(Self.yaml(action: "hold"))
        Self.run(&s, minutes: 30, spentAt: 100, perMinute: 0) { version, weight, minute in
            var readings = Self.costlier(version, weight, minute)
            if version == v110 { readings[0] = measured("error-rate", version, 0.2, samples: 2_000) }
            return readings
        }
        #expect(s.weights == [5, 0])
        #expect(!s.actions { if case .rollback = $0 { true } else { false } }.isEmpty)
    }

    @Test func anAlertBudgetWarnsOncePerLevelAndLetsTrafficMove() throws {
        var s = try Scenario(Self.yaml(action: "alert"))
        Self.run(&s, minutes: 200, spentAt: 70, perMinute: 0.2)
        #expect(s.weights.last == 100, "\(s.weights)")
        let said = alerts(s)
        #expect(said.count == 2 && said[0].hasPrefix("the day's budget for m has passed 80%: 80.0 of 100 USD (80%)")
                && said[1].hasPrefix("the day's budget for m has reached its limit: 100.0 of 100 USD (100%)"), "\(said)")
    }
}
