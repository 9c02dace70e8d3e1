import Testing
@testable import StewardEngine
import StewardSpec

/// The latest stretch of a canary's exposure, judged beside the pooled
/// evidence before a promotion.
@Suite struct RecentWindowTests {
    /// The quickstart's hallucination guard: a rate ratio against stable.
    static func guardMetric() throws -> MetricSpec {
        let desired = try ScenarioSuiteTests.quickstart()
        let rollout = try #require(desired.rollouts["customer-support-agent"])
        return try #require(desired.metrics(of: rollout).first { $0.name == "hallucination-rate" })
    }

    /// Over two healthy hours, then a recent stretch `scale` times 1,000
    /// canary requests long at 2.4 times stable's rate (the guard's limit is 2).
    static func verdict(recentScale scale: Double) throws -> Verdict {
        func span(_ canary: Double, _ canaryTrials: Double, _ stable: Double, _ stableTrials: Double, minutes: Double) -> ExposureSpan {
            ExposureSpan(canary: .rate(events: canary, trials: canaryTrials), stable: .rate(events: stable, trials: stableTrials),
                         seconds: minutes * 60)
        }
        let healthy = span(30, 40_000, 120, 160_000, minutes: 120)
        let recent = span(3 * scale, 1_000 * scale, 5 * scale, 4_000 * scale, minutes: 15)
        return SequentialJudge.judge(try guardMetric(), spans: [healthy, recent],
                                     recent: RecentWindow(span: recent, index: 9, minutes: 15),
                                     failAlpha: 0.01, passAlpha: 0.1, at: Moment(secondsSinceEpoch: 9_000))
    }

    /// Before: a rate ratio's recent stretch counted against a promotion
    /// only with two-to-one evidence, which a dozen events at 2.4 times
    /// stable do not give: a guard's late regression was promoted on the
    /// pooled estimate. Now its estimate counts once ten events stand behind
    /// it; three events at the same ratio are still noise.
    @Test func aRecentRateRatioPastTheLimitHoldsAPromotionOnceEventsStandBehindIt() throws {
        let twelve = try Self.verdict(recentScale: 4)
        #expect(twelve.outcome != .fail && !twelve.leaning, "\(twelve)")
        #expect(twelve.favoursFailure, "\(twelve)")
        let three = try Self.verdict(recentScale: 1)
        #expect(!three.favoursFailure, "\(three)")
    }
}
