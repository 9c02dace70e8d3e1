/// A scenario suite's figures: what the issue tracker calls deciding well.
public struct SuiteSummary: Sendable {
    public var regressionRuns = 0
    public var detected = 0
    public var healthyRuns = 0
    public var falseRollbacks = 0
    /// Healthy runs at 200 requests a minute or more, and those promoted
    /// without ever being held at the progress deadline.
    public var busyHealthyRuns = 0
    public var promotedWithinDeadline = 0
    /// Requests served by regressed canaries, over all regression runs.
    public var badRequests = 0
    public var minutesToDetection: [Int] = []
    /// Scenarios with a wrong decision, for a person to look at.
    public var misses: [String] = []

    /// Traffic at which healthy canaries are expected to be promoted in time.
    public static let busyTraffic = 200.0

    public init(_ results: [(scenario: TrafficScenario, runs: [ClosedLoopSimulator.Run])]) {
        for (scenario, runs) in results {
            let summary = PowerSummary(scenario: scenario, runs: runs)
            badRequests += scenario.regression ? summary.badRequests.reduce(0, +) : 0
            if scenario.regression {
                regressionRuns += runs.count
                detected += summary.rolledBack
                minutesToDetection += summary.minutesToRollback
                if summary.rolledBack < runs.count { misses.append("\(scenario.name): \(runs.count - summary.rolledBack) of \(runs.count) not rolled back") }
            } else {
                healthyRuns += runs.count
                falseRollbacks += summary.rolledBack
                if summary.rolledBack > 0 { misses.append("\(scenario.name): \(summary.rolledBack) of \(runs.count) rolled back") }
                if scenario.requestsPerMinute >= Self.busyTraffic {
                    busyHealthyRuns += runs.count
                    promotedWithinDeadline += summary.promotedWithinDeadline
                    if summary.promotedWithinDeadline < runs.count {
                        misses.append("\(scenario.name): \(runs.count - summary.promotedWithinDeadline) of \(runs.count) not promoted in time")
                    }
                }
            }
        }
    }

    public var detectionRate: Double { regressionRuns == 0 ? 1 : Double(detected) / Double(regressionRuns) }
    public var falseRollbackRate: Double { healthyRuns == 0 ? 0 : Double(falseRollbacks) / Double(healthyRuns) }
    public var promotionRate: Double { busyHealthyRuns == 0 ? 1 : Double(promotedWithinDeadline) / Double(busyHealthyRuns) }

    /// A table for a person.
    public var text: String {
        func percent(_ x: Double) -> String { "\((x * 1000).rounded() / 10)%" }
        let median = PowerSummary.median(minutesToDetection).map { StewardDurationText.minutes($0) } ?? "-"
        var lines = [
            "regressions rolled back       \(percent(detectionRate))  (\(detected) of \(regressionRuns) runs; median \(median) to roll back)",
            "healthy canaries rolled back  \(percent(falseRollbackRate))  (\(falseRollbacks) of \(healthyRuns) runs)",
            "healthy promoted in time      \(percent(promotionRate))  (\(promotedWithinDeadline) of \(busyHealthyRuns) runs at ≥ \(Int(Self.busyTraffic)) requests a minute)",
            "bad requests served           \(badRequests)  (by regressed canaries, all runs)",
        ]
        if !misses.isEmpty { lines += ["misses:"] + misses.map { "  " + $0 } }
        return lines.joined(separator: "\n") + "\n"
    }
}
