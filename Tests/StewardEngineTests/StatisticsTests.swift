import Testing
@testable import StewardEngine

/// Reference values from standard tables (and scipy.stats).
@Suite struct StatisticsTests {
    func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-4) -> Bool { abs(a - b) <= tolerance }

    @Test func chiSquaredMatchesTables() {
        #expect(close(Statistics.chiSquaredSurvival(3.841459, degreesOfFreedom: 1), 0.05))
        #expect(close(Statistics.chiSquaredSurvival(10.827566, degreesOfFreedom: 1), 0.001, 1e-6))
        #expect(close(Statistics.chiSquaredSurvival(18.307038, degreesOfFreedom: 10), 0.05))
        #expect(close(Statistics.chiSquaredSurvival(2, degreesOfFreedom: 4), 0.735759, 1e-5))
    }

    @Test func welchMatchesStudentsTable() {
        // Equal variances and counts of 6: t = 2.228 with df = 10 is p = 0.05.
        let sd = 1 / (2.228 * (1.0 / 3).squareRoot())
        let p = Statistics.welchTTest(meanA: 1, sdA: sd, countA: 6, meanB: 0, sdB: sd, countB: 6)
        #expect(close(p, 0.0500118, 1e-6))
        #expect(Statistics.welchTTest(meanA: 5, sdA: 1, countA: 100, meanB: 5, sdB: 1, countB: 100) == 1)
    }

    @Test func twoProportionZ() {
        // 10% vs 12% with 5,000 each: z = 3.196, p = 0.0013934.
        let p = Statistics.twoProportionZTest(successesA: 500, trialsA: 5000, successesB: 600, trialsB: 5000)
        #expect(close(p, 0.0013934042, 1e-9))
        #expect(Statistics.twoProportionZTest(successesA: 50, trialsA: 1000, successesB: 50, trialsB: 1000) == 1)
    }

    @Test func sampleRatioMismatchFlagsA60_40SplitConfiguredAs50_50() {
        #expect(Statistics.sampleRatioMismatch(observed: [6000, 4000], expectedShares: [50, 50]) < 0.001)
        #expect(Statistics.sampleRatioMismatch(observed: [5030, 4970], expectedShares: [50, 50]) > 0.001)
    }
}
