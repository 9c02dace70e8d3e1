import StewardEngine
import StewardSpec

/// Replays recorded measurements against the desired state on a virtual
/// clock: "what would this analysis have done last week?"
public struct Simulator: Sendable {
    /// An action and when it was decided.
    public struct Event: Sendable, Hashable {
        public var at: Moment
        public var action: Action
    }

    public var desired: DesiredState
    /// Time between planning rounds.
    public var tick: Double

    /// A simulator planning every `tick` seconds over `desired`.
    public init(desired: DesiredState, tick: Double = 60) {
        self.desired = desired
        self.tick = tick
    }

    /// Plans every `tick` from `start` to `end`, feeding each round every
    /// measurement whose window has ended (the engine pools them), and
    /// carrying the written status forward as the agent would.
    public func run(measurements: [MetricReading], from start: Moment, to end: Moment) -> (events: [Event], status: [String: RolloutStatus]) {
        let ordered = measurements.sorted { $0.windowEnd < $1.windowEnd }
        var next = ordered.startIndex
        var observed: [String: RolloutStatus] = [:]
        var events: [Event] = []
        var now = start
        var evidence = Evidence()
        while now <= end {
            while next < ordered.endIndex, ordered[next].windowEnd <= now {
                evidence.record(ordered[next])
                next += 1
            }
            for action in Planner.plan(desired: desired, observed: observed, evidence: evidence, now: now) {
                if case .writeStatus(let rollout, let status) = action {
                    observed[rollout] = status
                } else {
                    events.append(Event(at: now, action: action))
                }
            }
            now = now + tick
        }
        return (events, observed)
    }
}
