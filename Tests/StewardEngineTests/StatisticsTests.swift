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

    @Test func sampleRatioMismatchFlagsA60_40SplitConfiguredAs50_50() {
        #expect(Statistics.sampleRatioMismatch(observed: [6000, 4000], expectedShares: [50, 50]) < 0.001)
        #expect(Statistics.sampleRatioMismatch(observed: [5030, 4970], expectedShares: [50, 50]) > 0.001)
    }
}
