import StewardEngine

/// What many seeded runs of one scenario say about a rollout config: how
/// often it rolls back and promotes, how fast, and how many requests the
/// canary served while it was in truth regressed.
public struct PowerSummary: Sendable {
    public var scenario: String
    public var regression: Bool
    public var runs: Int
    public var rolledBack = 0
    public var promoted = 0
    /// Healthy runs promoted without ever being held at the progress deadline.
    public var promotedWithinDeadline = 0
    public var minutesToRollback: [Int] = []
    public var minutesToPromotion: [Int] = []
    public var badRequests: [Int] = []
    public var canaryRequests: [Int] = []
    public var reasons: [String: Int] = [:]
    /// Where the first run stood at its end.
    public var firstStanding: [String] = []

    public init(scenario: TrafficScenario, runs: [ClosedLoopSimulator.Run]) {
        self.scenario = scenario.name
        self.regression = scenario.regression
        self.runs = runs.count
        firstStanding = runs.first?.standing ?? []
        for run in runs {
            badRequests.append(run.badRequests)
            canaryRequests.append(run.canaryRequests)
            switch run.end {
            case .rolledBack(let reason)?:
                rolledBack += 1
                minutesToRollback.append(run.minutes ?? 0)
                reasons[String(reason.prefix { $0 != " " }), default: 0] += 1
            case .promoted?:
                promoted += 1
                minutesToPromotion.append(run.minutes ?? 0)
                if !run.hitDeadline { promotedWithinDeadline += 1 }
            case nil:
                break
            }
        }
    }

    public var undecided: Int { runs - rolledBack - promoted }

    /// The median of some numbers, or nil when there are none.
    public static func median(_ xs: [Int]) -> Double? {
        guard !xs.isEmpty else { return nil }
        let sorted = xs.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[middle]) : Double(sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The `q` quantile (nearest rank), or nil when there are none.
    public static func quantile(_ xs: [Int], _ q: Double) -> Int? {
        guard !xs.isEmpty else { return nil }
        let sorted = xs.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
    }

    /// A table for a person.
    public var text: String {
        func share(_ n: Int) -> String { runs == 0 ? "-" : "\((Double(n) / Double(runs) * 1000).rounded() / 10)%" }
        func minutes(_ xs: [Int]) -> String {
            guard let median = Self.median(xs), let p90 = Self.quantile(xs, 0.9) else { return "" }
            return "  median \(StewardDurationText.minutes(median)), p90 \(StewardDurationText.minutes(Double(p90)))"
        }
        var lines = ["scenario \(scenario): the canary is \(regression ? "a regression" : "healthy"); \(runs) runs"]
        lines.append("  rolled back   \(pad(rolledBack)) \(pad(share(rolledBack), 7))\(minutes(minutesToRollback))")
        lines.append("  promoted      \(pad(promoted)) \(pad(share(promoted), 7))\(minutes(minutesToPromotion))")
        lines.append("  neither       \(pad(undecided)) \(pad(share(undecided), 7))")
        if regression, let median = Self.median(badRequests) {
            lines.append("  bad requests  median \(Int(median)), p90 \(Self.quantile(badRequests, 0.9) ?? 0) served by the regressed canary")
        } else if let median = Self.median(canaryRequests) {
            lines.append("  canary served median \(Int(median)) requests")
        }
        if !reasons.isEmpty {
            lines.append("  rolled back on " + reasons.sorted { $0.value > $1.value }.map { "\($0.key) (\($0.value))" }.joined(separator: ", "))
        }
        if runs == 1 { lines += firstStanding.map { "  " + $0 } }
        return lines.joined(separator: "\n") + "\n"
    }

    private func pad(_ n: Int) -> String { pad(String(n), 5) }
    private func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
}

/// Minutes as `2h10m` or `45m`.
enum StewardDurationText {
    static func minutes(_ m: Double) -> String {
        let total = Int(m.rounded())
        return total >= 60 ? "\(total / 60)h\(total % 60 == 0 ? "" : "\(total % 60)m")" : "\(total)m"
    }
}
