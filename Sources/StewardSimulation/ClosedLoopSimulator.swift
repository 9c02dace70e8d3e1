import StewardEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// How often a hold was lifted and set again (or the reverse) sooner
    /// than the metric that caused it could have been judged anew.
    var flaps: Int { get }
    /// What the controller did and when, a line each, for a person tracing one run.
    var history: [String] { get }
}

extension RolloutController {
    public var flaps: Int { 0 }
    public var history: [String] { [] }
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
        /// What the controller did, minute by minute (see `RolloutController.history`).
        public var history: [String] = []
        /// With rules: whether the canary crossed one while it served
        /// traffic, the minute it first did, and which rule.
        public var regression: Bool?
        public var crossedAt: Int?
        public var crossedRule: String?
        public var flaps = 0
        /// With rules: the template's critical z (`RegressionRules.criticalZ`).
        public var criticalZ: Double?
        /// With rules: the squared z-score, per rule, that an oracle's
        /// fixed-sample test could have drawn from the canary's requests
        /// while it was regressed (see `RegressionRules.information`).
        public var information: [String: Double] = [:]
        /// The same had the canary, instead of whatever ended its run, been
        /// held at its last weight below 100% until the horizon: what
        /// waiting longer could have shown.
        public var heldInformation: [String: Double] = [:]

        /// The same had all the traffic gone to the canary from the first
        /// minute to the horizon, promoted or not: the most any rollout
        /// could have shown before the horizon.
        public var fullInformation: [String: Double] = [:]
        /// With rules: the minute (counted as `minutes` is) at which the
        /// oracle's test, in the exposure the run had, first expects the
        /// critical z; nil if it never did.
        public var oracleMinute: Int?

        /// The z an oracle's test expects on the best rule.
        public var reach: Double { Self.z(information) }
        public var heldReach: Double { Self.z(heldInformation) }
        public var fullReach: Double { Self.z(fullInformation) }
        /// The chance that the most powerful fixed test at the template's
        /// level, knowing stable's true value, rolls this regression back
        /// with all the traffic on the canary until the horizon:
        /// Φ(√information − z). No analysis at that level does better, so
        /// its mean over the regressions bounds any analysis's detection.
        public var fullPower: Double? {
            criticalZ.map { 0.5 * erfc(($0 - fullReach) / 2.0.squareRoot()) }
        }
        /// Whether an oracle could have seen the regression in the exposure
        /// this run gave it; nil without rules.
        public var withinReach: Bool? { criticalZ.map { reach >= $0 } }
        /// Whether an oracle holding the canary to the horizon could have; nil without rules.
        public var withinReachHeld: Bool? { criticalZ.map { heldReach >= $0 } }

        private static func z(_ information: [String: Double]) -> Double { (information.values.max() ?? 0).squareRoot() }
    }

    public static let start = Moment(secondsSinceEpoch: 1_800_000_000)

    /// - Parameter rules: when given, the run is labelled by them minute by
    ///   minute (a regression once the canary, serving traffic, crosses one),
    ///   and bad requests are those served while it does; otherwise by the
    ///   scenario's own `regression` and its canary-only events.
    public static func run(_ scenario: TrafficScenario, controller: inout some RolloutController, seed: UInt64,
                           rules: RegressionRules? = nil) -> Run {
        var rng = SeededRandom(seed: seed)
        var run = Run()
        if let rules { (run.regression, run.criticalZ) = (false, rules.criticalZ) }
        typealias Versions = (canary: TrafficScenario.Behaviour, stable: TrafficScenario.Behaviour)
        func behaviours(_ minute: Int, _ weight: Int) -> Versions {
            (scenario.behaviour(of: .canary, minute: minute, weight: weight), scenario.behaviour(of: .stable, minute: minute, weight: weight))
        }
        func regressed(_ versions: Versions, _ minute: Int, _ weight: Int, labelling: Bool = true) -> Bool {
            guard let rules else { return scenario.canaryRegressed(minute: minute, weight: weight) }
            let rule = rules.crossed(canary: versions.canary, stable: versions.stable)
            if let rule, labelling, weight > 0, run.crossedAt == nil {
                run.regression = true
                run.crossedAt = minute
                run.crossedRule = rule
            }
            return rule != nil
        }
        func told(_ versions: Versions, _ requests: Int) -> [String: Double] {
            rules?.information(canary: versions.canary, stable: versions.stable, requests: requests) ?? [:]
        }
        // What an analysis that held the canary where it last stood below 100% would have learnt by the horizon.
        var lastWeight = 0
        func heldToTheHorizon(after minute: Int) {
            guard rules != nil else { return }
            run.heldInformation = run.information
            for later in minute + 1..<max(minute + 1, scenario.minutes) {
                let then = behaviours(later, lastWeight)
                guard regressed(then, later, lastWeight, labelling: false) else { continue }
                let requests = Int(scenario.requestsPerMinute(at: later) * Double(lastWeight) / 100)
                run.heldInformation.merge(told(then, requests), uniquingKeysWith: +)
            }
        }
        // What all the traffic on the canary until the horizon would have told (asked only of a regression).
        func fullExposure() {
            guard run.regression == true else { return }
            for minute in 0..<scenario.minutes {
                let versions = behaviours(minute, 100)
                guard regressed(versions, minute, 100, labelling: false) else { continue }
                run.fullInformation.merge(told(versions, Int(scenario.requestsPerMinute(at: minute))), uniquingKeysWith: +)
            }
        }
        for minute in 0..<scenario.minutes {
            let weight = min(100, max(0, controller.canaryWeight))
            run.maxWeight = max(run.maxWeight, weight)
            let total = rng.poisson(scenario.requestsPerMinute(at: minute))
            let canaryCount = rng.binomial(total, Double(weight) / 100)
            let versions = behaviours(minute, weight)
            let stable = OutcomeSampler.sample(versions.stable, requests: total - canaryCount, using: &rng)
            let canary = OutcomeSampler.sample(versions.canary, requests: canaryCount, using: &rng)
            run.canaryRequests += canaryCount
            if regressed(versions, minute, weight) {
                run.badRequests += canaryCount
                run.information.merge(told(versions, canaryCount), uniquingKeysWith: +)
                if run.oracleMinute == nil, let z = run.criticalZ, run.reach >= z { run.oracleMinute = minute + 1 }
            }
            if weight < 100 { lastWeight = weight }
            let gap = scenario.inGap(minute: minute)
            let end = controller.minutePassed(stable: gap || stable.requests == 0 ? nil : stable,
                                              canary: gap || canary.requests == 0 ? nil : canary,
                                              now: start + Double(minute + 1) * 60)
            run.hitDeadline = run.hitDeadline || controller.heldAtDeadline
            run.flaps = controller.flaps
            if end != nil || minute == scenario.minutes - 1 {
                run.standing = controller.standing
                run.history = controller.history
            }
            if let end {
                // A regression promoted serves all the traffic from now on (a
                // crossing only after the promotion is counted, not labelled).
                if end == .promoted {
                    for later in minute + 1..<max(minute + 1, scenario.minutes) where regressed(behaviours(later, 100), later, 100, labelling: false) {
                        run.badRequests += Int(scenario.requestsPerMinute(at: later))
                    }
                }
                run.end = end
                run.minutes = minute + 1
                heldToTheHorizon(after: minute)
                fullExposure()
                return run
            }
        }
        heldToTheHorizon(after: scenario.minutes - 1)
        fullExposure()
        return run
    }
}
