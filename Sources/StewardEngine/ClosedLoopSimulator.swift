/// Something that steers a canary minute by minute: the engine's planner,
/// or (in the tests) a baseline to compare it with.
public protocol RolloutController {
    /// The canary's share of traffic now, in percent.
    var canaryWeight: Int { get }
    /// One minute has passed: its outcomes per version (nil in a data gap,
    /// or for a version that served nothing). Returns how the rollout ended, if it did.
    mutating func minutePassed(stable: OutcomeTally?, canary: OutcomeTally?, now: Moment) -> RolloutEnd?
    /// Whether the rollout has stopped at its progress deadline.
    var heldAtDeadline: Bool { get }
    /// Where the rollout stands, a line each (its verdicts, why it waits).
    var standing: [String] { get }
}

/// How a simulated rollout ended.
public enum RolloutEnd: Sendable, Hashable {
    case promoted
    case rolledBack(reason: String)
}

/// Closed-loop simulation: each minute the traffic is routed by the weight
/// the controller chose, outcomes are drawn from the scenario's true
/// behaviour of each version, and the controller sees them.
public enum ClosedLoopSimulator {
    /// One simulated rollout.
    public struct Run: Sendable {
        public var end: RolloutEnd?
        /// Minutes from the start to the end, if it ended.
        public var minutes: Int?
        public var canaryRequests = 0
        /// Requests served by the canary while it was in truth regressed, and,
        /// when a regression was promoted, all requests until the horizon.
        public var badRequests = 0
        public var maxWeight = 0
        /// Whether the rollout was ever held at its progress deadline.
        public var hitDeadline = false
        /// Where the rollout stood at the end.
        public var standing: [String] = []
    }

    public static let start = Moment(secondsSinceEpoch: 1_800_000_000)

    public static func run(_ scenario: TrafficScenario, controller: inout some RolloutController, seed: UInt64) -> Run {
        var rng = SeededRandom(seed: seed)
        var run = Run()
        for minute in 0..<scenario.minutes {
            let weight = min(100, max(0, controller.canaryWeight))
            run.maxWeight = max(run.maxWeight, weight)
            let total = rng.poisson(scenario.requestsPerMinute)
            let canaryCount = rng.binomial(total, Double(weight) / 100)
            let stable = OutcomeSampler.sample(scenario.behaviour(of: .stable, minute: minute, weight: weight),
                                               requests: total - canaryCount, using: &rng)
            let canary = OutcomeSampler.sample(scenario.behaviour(of: .canary, minute: minute, weight: weight),
                                               requests: canaryCount, using: &rng)
            run.canaryRequests += canaryCount
            if scenario.canaryRegressed(minute: minute, weight: weight) { run.badRequests += canaryCount }
            let gap = scenario.inGap(minute: minute)
            let end = controller.minutePassed(stable: gap || stable.requests == 0 ? nil : stable,
                                              canary: gap || canary.requests == 0 ? nil : canary,
                                              now: start + Double(minute + 1) * 60)
            run.hitDeadline = run.hitDeadline || controller.heldAtDeadline
            if end != nil || minute == scenario.minutes - 1 {
                run.standing = controller.standing
            }
            if let end {
                // A regression promoted serves all the traffic from now on.
                if end == .promoted, scenario.canaryRegressed(minute: minute, weight: 100) {
                    run.badRequests += Int(scenario.requestsPerMinute) * (scenario.minutes - minute - 1)
                }
                run.end = end
                run.minutes = minute + 1
                return run
            }
        }
        return run
    }
}
