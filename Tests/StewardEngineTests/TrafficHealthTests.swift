import Foundation
import StewardEngine
import StewardSpec
import Testing

/// The rollout's health checks on the canary's traffic (`healthChecks`):
/// a canary that gets no requests after its weight rose, and one whose share
/// of the requests is far from its weight. Traffic here follows the weights
/// (2,000 requests a minute) unless a test says otherwise.
@Suite struct TrafficHealthTests {
    static func yaml(_ checks: String) -> String {
        baseYAML() + rolloutDocument(extra: "  healthChecks: {\(checks)}", strategy: """
                canary:
                  analysis: {templates: [checks]}
                  steps:
                    - setWeight: 20
                    - pause: {duration: 30m}
                    - setWeight: 100
            """)
    }

    /// Healthy readings for `requests` requests.
    static func healthy(_ version: SemanticVersion, requests: Int) -> [MetricReading] {
        requests == 0 ? [] : [measured("error-rate", version, 0.005, samples: requests), measured("latency", version, 800, samples: requests),
                              measured("cost", version, 0.001, samples: requests)]
    }

    /// The gateway routes by the table (`share` of each version's weight goes to it), from `fixedAt` on if given.
    static func traffic(canaryShare: @escaping (Int) -> Double) -> (SemanticVersion, Int, Int) -> [MetricReading] {
        { version, weight, minute in
            let canary = version == SemanticVersion(1, 1, 0)
            let stableWeight = canary ? 100 - weight : weight
            let share = canaryShare(minute) * Double(100 - stableWeight) / 100
            return healthy(version, requests: Int(2_000 * (canary ? share : 1 - share)))
        }
    }

    func pauses(_ s: Scenario) -> [(at: Double, action: Action)] { s.actions { $0.isPause } }

    @Test func aCanaryWithNoRequestsPausesAfterItsGraceAndGoesOnWhenTrafficComes() throws {
        var s = try Scenario(Self.yaml("noTraffic: {after: 10m}"))
        // The gateway ignores the table for 25 minutes, then routes by it.
        s.run(minutes: 60, measure: Self.traffic { $0 <= 25 ? 0 : 1 })
        let paused = try #require(pauses(s).first)
        #expect(paused.at == 11 * 60 && paused.action.reason?.hasPrefix("no traffic: the canary served no request in 10m at 20% while stable served") == true,
                "\(paused)")
        let resumed = s.actions { if case .notify(_, let message) = $0 { message.contains("traffic is as its weight says again") } else { false } }
        #expect(resumed.count == 1 && resumed[0].at > 25 * 60, "\(resumed)")
        #expect(pauses(s).count == 1, "paused again and again: \(pauses(s))")
        #expect(s.weights == [20, 100], "\(s.weights)")
    }

    @Test func aCanaryThatGetsTooSmallAShareIsPausedWithTheFigures() throws {
        var s = try Scenario(Self.yaml("sampleRatio: {}"))
        // Half the canary's share reaches it: 10% of the requests at a weight of 20%.
        s.run(minutes: 30, measure: Self.traffic { _ in 0.5 })
        let paused = try #require(pauses(s).first)
        #expect(paused.action.reason?.hasPrefix("sample ratio mismatch: the canary served ") == true
                && paused.action.reason?.contains("(10%) at a weight of 20% (p = ") == true, "\(paused)")
        #expect(s.weights == [20])
    }

    @Test func aSplitAsTheTableSaysOrAnUnsetCheckNeverPauses() throws {
        var s = try Scenario(Self.yaml("noTraffic: {after: 10m}, sampleRatio: {}"))
        s.run(minutes: 60, measure: Self.traffic { _ in 1 })
        #expect(pauses(s).isEmpty && s.weights == [20, 100], "\(pauses(s))")
        var off = try Scenario(Self.yaml(""))
        off.run(minutes: 60, measure: Self.traffic { _ in 0 })
        #expect(!pauses(off).contains { $0.action.reason?.hasPrefix("no traffic") == true || $0.action.reason?.hasPrefix("sample ratio") == true })
    }

    @Test func aCheckSetToRollBackRollsBackAndOneSetToWarnSaysItOnce() throws {
        var rolled = try Scenario(Self.yaml("noTraffic: {after: 10m, action: rollback}"))
        rolled.run(minutes: 20, measure: Self.traffic { _ in 0 })
        let rollback = try #require(rolled.actions { if case .rollback = $0 { true } else { false } }.first)
        #expect(rollback.action.reason?.hasPrefix("no traffic") == true)
        var warned = try Scenario(Self.yaml("sampleRatio: {action: warn}"))
        warned.run(minutes: 60, measure: Self.traffic { _ in 0.5 })
        let alerts = warned.actions { if case .alert = $0 { true } else { false } }
        #expect(alerts.count == 1 && alerts.first?.action.reason?.hasPrefix("sample ratio mismatch") == true, "\(alerts)")
        #expect(warned.weights == [20, 100], "a warning held the traffic")
    }
}
