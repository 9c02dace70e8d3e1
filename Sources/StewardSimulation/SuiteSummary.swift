import StewardEngine

/// A scenario suite's figures: what the issue tracker calls deciding well.
/// A run is a regression by its own label where it has one (randomized
/// worlds, labelled by the template's rules), else by its scenario's.
public struct SuiteSummary: Sendable {
    public var runs = 0
    public var regressionRuns = 0
    public var detected = 0
    public var healthyRuns = 0
    public var falseRollbacks = 0
    /// Healthy runs at 200 requests a minute or more, and those promoted
    /// without ever being held at the progress deadline.
    public var busyHealthyRuns = 0
    public var promotedWithinDeadline = 0
    /// Healthy runs at 100 requests a minute or more, and those promoted
    /// within the horizon (five hours for randomized worlds).
    public var healthyRunsAt100 = 0
    public var healthyPromotedAt100 = 0
    /// Runs that ended neither rolled back nor promoted.
    public var undecided = 0
    /// Requests served by regressed canaries, over all regression runs.
    public var badRequests = 0
    /// Minutes from the start, or from the rule being crossed where that is
    /// known, to the rollback; and the same at 200 requests a minute or more.
    public var minutesToDetection: [Int] = []
    public var busyMinutesToDetection: [Int] = []
    /// Holds set and lifted within one look (see `RolloutController.flaps`).
    public var flaps = 0
    /// Regression runs of drawn worlds and those rolled back, by the size of
    /// the problem (times its threshold's distance): under 1.3, 1.3 to 2, 2 and over.
    public var bySize: [(band: String, runs: Int, detected: Int)] = [("< 1.3", 0, 0), ("1.3–2", 0, 0), ("≥ 2", 0, 0)]
    /// Regression runs within an oracle's reach (`ClosedLoopSimulator.Run.withinReach`)
    /// and those rolled back: detection measured against what any analysis could see.
    public var reachableRuns = 0
    public var reachableDetected = 0
    /// Regression runs an oracle could have seen by holding the canary at its
    /// last weight below 100% until the horizon instead.
    public var reachableHeld = 0
    /// The detections to expect, at best, of any analysis at the
    /// template's level with all the traffic on the canary until the
    /// horizon (the sum of `ClosedLoopSimulator.Run.fullPower`).
    public var fullExposureDetections = 0.0
    /// Minutes from the rule being crossed to the moment an oracle's test
    /// expects the critical z in the exposure the run had, at 200 requests
    /// a minute or more: how fast a rollback at the template's level can be.
    public var busyOracleMinutes: [Int] = []
    /// Scenarios with a wrong decision, for a person to look at.
    public var misses: [String] = []

    /// Traffic at which healthy canaries are expected to be promoted in time.
    public static let busyTraffic = 200.0

    public init(_ results: [(scenario: TrafficScenario, runs: [ClosedLoopSimulator.Run])]) {
        for (scenario, runs) in results {
            var missed: [String: Int] = [:]
            for run in runs {
                self.runs += 1
                flaps += run.flaps
                let regression = run.regression ?? scenario.regression
                let rolledBack: Bool, promoted: Bool
                switch run.end {
                case .rolledBack?: (rolledBack, promoted) = (true, false)
                case .promoted?: (rolledBack, promoted) = (false, true)
                case nil: (rolledBack, promoted) = (false, false)
                }
                if !rolledBack && !promoted { undecided += 1 }
                if regression {
                    regressionRuns += 1
                    if let size = scenario.problemSize {
                        let band = size < 1.3 ? 0 : size < 2 ? 1 : 2
                        bySize[band].runs += 1
                        if rolledBack { bySize[band].detected += 1 }
                    }
                    badRequests += run.badRequests
                    if run.withinReach == true || run.withinReachHeld == true { reachableHeld += 1 }
                    fullExposureDetections += run.fullPower ?? 0
                    if let oracle = run.oracleMinute, scenario.requestsPerMinute >= Self.busyTraffic {
                        busyOracleMinutes.append(oracle - (run.crossedAt ?? 0))
                    }
                    if run.withinReach == true {
                        reachableRuns += 1
                        if rolledBack { reachableDetected += 1 }
                    }
                    guard rolledBack, let minutes = run.minutes else {
                        let reach = run.withinReach == false ? ", beyond an oracle's reach" : ""
                        missed[(promoted ? "promoted" : "undecided") + reach, default: 0] += 1
                        continue
                    }
                    detected += 1
                    let taken = minutes - (run.crossedAt ?? 0)
                    minutesToDetection.append(taken)
                    if scenario.requestsPerMinute >= Self.busyTraffic { busyMinutesToDetection.append(taken) }
                } else {
                    healthyRuns += 1
                    if rolledBack { falseRollbacks += 1; missed["rolled back", default: 0] += 1 }
                    if scenario.requestsPerMinute >= 100 {
                        healthyRunsAt100 += 1
                        if promoted { healthyPromotedAt100 += 1 } else if !rolledBack { missed["not promoted", default: 0] += 1 }
                    }
                    if scenario.requestsPerMinute >= Self.busyTraffic {
                        busyHealthyRuns += 1
                        if promoted, !run.hitDeadline { promotedWithinDeadline += 1 }
                    }
                }
            }
            for (what, count) in missed.sorted(by: { $0.key < $1.key }) {
                misses.append("\(scenario.name): \(count) of \(runs.count) \(what)")
            }
        }
    }

    public var detectionRate: Double { regressionRuns == 0 ? 1 : Double(detected) / Double(regressionRuns) }
    public var falseRollbackRate: Double { healthyRuns == 0 ? 0 : Double(falseRollbacks) / Double(healthyRuns) }
    public var promotionRate: Double { busyHealthyRuns == 0 ? 1 : Double(promotedWithinDeadline) / Double(busyHealthyRuns) }
    public var promotionRateAt100: Double { healthyRunsAt100 == 0 ? 1 : Double(healthyPromotedAt100) / Double(healthyRunsAt100) }
    public var undecidedRate: Double { runs == 0 ? 0 : Double(undecided) / Double(runs) }
    public var busyMedianMinutesToDetection: Double? { PowerSummary.median(busyMinutesToDetection) }

    /// A table for a person.
    public var text: String {
        func percent(_ x: Double) -> String { "\((x * 1000).rounded() / 10)%" }
        func median(_ xs: [Int]) -> String { PowerSummary.median(xs).map { StewardDurationText.minutes($0) } ?? "-" }
        var lines = [
            "regressions rolled back       \(percent(detectionRate))  (\(detected) of \(regressionRuns) runs; median \(median(minutesToDetection)) to roll back, \(median(busyMinutesToDetection)) at ≥ \(Int(Self.busyTraffic)) requests a minute)",
            "healthy canaries rolled back  \(percent(falseRollbackRate))  (\(falseRollbacks) of \(healthyRuns) runs)",
            "healthy promoted in time      \(percent(promotionRate))  (\(promotedWithinDeadline) of \(busyHealthyRuns) runs at ≥ \(Int(Self.busyTraffic)) requests a minute)",
            "healthy promoted at all       \(percent(promotionRateAt100))  (\(healthyPromotedAt100) of \(healthyRunsAt100) runs at ≥ 100 requests a minute)",
            "undecided at the end          \(percent(undecidedRate))  (\(undecided) of \(runs) runs)",
            "bad requests served           \(badRequests)  (by regressed canaries, all runs)",
            "holds flapping                \(flaps)",
        ]
        if bySize.contains(where: { $0.runs > 0 }) {
            lines.append("rolled back, by size          " + bySize.map { "\($0.band): \($0.detected) of \($0.runs)" }.joined(separator: ", ")
                         + "  (the problem, times its threshold's distance)")
        }
        if reachableRuns > 0 || bySize.contains(where: { $0.runs > 0 }) {
            lines.append("rolled back, within reach     \(reachableDetected) of \(reachableRuns)  (regressions an oracle's fixed test could see "
                         + "in the exposure the run had; \(regressionRuns - reachableRuns) could not, \(regressionRuns - reachableHeld) "
                         + "even holding the canary to the horizon)")
        }
        if regressionRuns > 0, fullExposureDetections > 0 {
            lines.append("the most any analysis could   \(percent(fullExposureDetections / Double(regressionRuns)))  (expected detections of the most powerful "
                         + "fixed test at the template's confidence, knowing stable, with all the traffic on the canary until the horizon; "
                         + "in the exposure the runs had, it expects its z a median \(median(busyOracleMinutes)) after the crossing at ≥ "
                         + "\(Int(Self.busyTraffic)) requests a minute)")
        }
        if !misses.isEmpty { lines += ["misses:"] + misses.map { "  " + $0 } }
        return lines.joined(separator: "\n") + "\n"
    }
}
