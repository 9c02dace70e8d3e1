import StewardEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StewardYAML

/// A closed-loop simulation: how much traffic there is, how each version
/// truly behaves over time, and whether the canary is in truth healthy or a
/// regression. `steward simulate --scenario` routes the traffic by the
/// weights the engine chooses and samples outcomes from this behaviour.
public struct TrafficScenario: Sendable {
    public var name: String
    /// The Rollout (its `metadata.name`) the scenario exercises.
    public var rollout: String
    public var minutes: Int
    public var requestsPerMinute: Double
    public var seed: UInt64
    /// Whether the canary is in truth a regression: the suite scores
    /// detections and false rollbacks against it.
    public var regression: Bool
    public var stable: Behaviour
    public var canary: Behaviour
    public var events: [Event]
    /// A daily wave: traffic swings by this share of `requestsPerMinute`
    /// either way over 24 hours, starting `wavePhase` minutes into the day.
    public var dailyWave = 0.0
    public var wavePhase = 0.0
    /// Latency reaches the agent as one p95 per minute and version with its
    /// request count (as a Prometheus query gives it), not as a histogram.
    public var latencyAsNumbers = false
    /// In a drawn world, the size of the canary's problem as a multiple of
    /// its threshold's distance (below 1 stays within the rule).
    public var problemSize: Double?

    public init(name: String, rollout: String, minutes: Int, requestsPerMinute: Double, seed: UInt64, regression: Bool,
                stable: Behaviour, canary: Behaviour, events: [Event]) {
        self.name = name
        self.rollout = rollout
        self.minutes = minutes
        self.requestsPerMinute = requestsPerMinute
        self.seed = seed
        self.regression = regression
        self.stable = stable
        self.canary = canary
        self.events = events
    }

    /// The mean requests in `minute`, with the daily wave.
    public func requestsPerMinute(at minute: Int) -> Double {
        max(0, requestsPerMinute * (1 + dailyWave * sin(2 * Double.pi * (Double(minute) + wavePhase) / 1440)))
    }

    /// How a version answers requests.
    public struct Behaviour: Sendable, Hashable {
        public var errorRate = 0.01
        /// Median latency in milliseconds, and the spread (σ of its logarithm).
        public var latencyMs = 800.0
        public var latencySpread = 0.35
        public var rating = 4.2
        public var ratingSD = 0.8
        /// The share of requests that users rate.
        public var ratingShare = 0.15
        public var hallucinationRate = 0.0085
        public var safetyRate = 0.0005
        public var cost = 0.0012
        public var costSD = 0.0004
        public var tokens = 600.0
        public var tokensSD = 200.0

        public init() {}

        static var keys: [(String, WritableKeyPath<Behaviour, Double>, ClosedRange<Double>)] { [
            ("errorRate", \.errorRate, 0...1), ("latencyMs", \.latencyMs, 1...3_600_000), ("latencySpread", \.latencySpread, 0...3),
            ("rating", \.rating, 1...5), ("ratingSD", \.ratingSD, 0...4), ("ratingShare", \.ratingShare, 0...1),
            ("hallucinationRate", \.hallucinationRate, 0...1), ("safetyRate", \.safetyRate, 0...1),
            ("cost", \.cost, 0...1e6), ("costSD", \.costSD, 0...1e6), ("tokens", \.tokens, 0...1e7), ("tokensSD", \.tokensSD, 0...1e7),
        ] }

        /// The field named `key` (one of `keys`).
        static func field(_ key: String) -> WritableKeyPath<Behaviour, Double>? { keys.first { $0.0 == key }?.1 }
    }

    /// A change over time: an onset, a drift, an incident, a data gap.
    public struct Event: Sendable {
        public enum Target: String, Sendable, CaseIterable { case stable, canary, both }
        public var target: Target
        public var from: Int
        /// The minute it ends (exclusive); nil for never.
        public var to: Int?
        /// Only while the canary has at least this weight (load-dependent regressions).
        public var minWeight: Int
        /// New values of behaviour fields.
        public var set: [(field: String, value: Double)]
        /// Move linearly from the earlier value at `from` to the new one at `to`, then stay.
        public var drift: Bool
        /// No outcomes reach the agent meanwhile (a broken pipeline).
        public var gap: Bool

        public init(target: Target, from: Int, to: Int? = nil, minWeight: Int = 0, set: [(field: String, value: Double)] = [],
                    drift: Bool = false, gap: Bool = false) {
            self.target = target
            self.from = from
            self.to = to
            self.minWeight = minWeight
            self.set = set
            self.drift = drift
            self.gap = gap
        }

        func applies(to version: Target, minute: Int, weight: Int) -> Bool {
            (target == .both || target == version || (gap && target == .both)) && minute >= from
                && (drift || to.map { minute < $0 } ?? true) && weight >= minWeight
        }
    }

    /// How `version` behaves at `minute` with the canary at `weight`.
    public func behaviour(of version: Event.Target, minute: Int, weight: Int) -> Behaviour {
        var b = version == .canary ? canary : stable
        for event in events where !event.gap && event.applies(to: version, minute: minute, weight: weight) {
            for (name, value) in event.set {
                guard let key = Behaviour.field(name) else { continue }
                if event.drift, let to = event.to, to > event.from {
                    let progress = min(1, Double(minute - event.from) / Double(to - event.from))
                    b[keyPath: key] += (value - b[keyPath: key]) * progress
                } else {
                    b[keyPath: key] = value
                }
            }
        }
        return b
    }

    /// Whether the agent receives no outcomes at `minute`.
    public func inGap(minute: Int) -> Bool {
        events.contains { $0.gap && minute >= $0.from && minute < ($0.to ?? Int.max) }
    }

    /// Whether the canary is, at `minute` and `weight`, worse than its start
    /// because of a canary-only event: its requests then count as bad ones.
    public func canaryRegressed(minute: Int, weight: Int) -> Bool {
        regression && events.contains { !$0.gap && $0.target == .canary && $0.applies(to: .canary, minute: minute, weight: weight) }
    }
}

extension TrafficScenario {
    public static let kind = "Scenario"

    /// Reads a scenario file; problems go to `bag` with file, line and column.
    public static func decode(_ bytes: [UInt8], file: String, bag: DiagnosticBag) -> TrafficScenario? {
        guard let r = NodeReader.singleDocument(bytes, file: file, bag: bag) else { return nil }
        guard let m = r.mapping(fields: ["apiVersion", "kind", "metadata", "spec"]) else { return nil }
        if let kindReader = m.required("kind"), let kind = kindReader.string(), kind != Self.kind {
            kindReader.error("wrong-kind", "kind must be \(Self.kind), found '\(kind)'")
        }
        let name = m.required("metadata")?.mapping(fields: ["name"])?.required("name")?.string()
        let spec = m.required("spec")?.mapping(fields: ["rollout", "minutes", "requestsPerMinute", "seed", "regression", "stable", "canary", "events"])
        guard let spec else { return nil }
        let rollout = spec.required("rollout")?.string()
        let minutes = spec.required("minutes")?.int(in: 1...100_000)
        let rpm = spec.required("requestsPerMinute")?.number(in: 0...1_000_000)
        let seed = spec.optional("seed")?.int(in: 0...Int.max) ?? 1
        let regression = spec.required("regression")?.bool()
        let stable = behaviour(spec.optional("stable"), over: Behaviour())
        let canary = stable.flatMap { behaviour(spec.optional("canary"), over: $0) }
        let events = spec.optional("events")?.list(event) ?? []
        guard let name, let rollout, let minutes, let rpm, let regression, let stable, let canary, !bag.hasErrors else { return nil }
        return TrafficScenario(name: name, rollout: rollout, minutes: minutes, requestsPerMinute: rpm, seed: UInt64(seed),
                               regression: regression, stable: stable, canary: canary, events: events)
    }

    private static func behaviour(_ r: NodeReader?, over base: Behaviour) -> Behaviour? {
        guard let r else { return base }
        guard let m = r.mapping(fields: Behaviour.keys.map(\.0)) else { return nil }
        var b = base
        for (key, path, range) in Behaviour.keys {
            if let value = m.optional(key)?.number(in: range) { b[keyPath: path] = value }
        }
        return b
    }

    private static func event(_ r: NodeReader) -> Event? {
        let fields = ["version", "from", "to", "minWeight", "drift", "gap"] + Behaviour.keys.map(\.0)
        guard let m = r.mapping(fields: fields) else { return nil }
        let gap = m.optional("gap")?.bool() ?? false
        let target = m.optional("version")?.oneOf(Event.Target.self) ?? (gap ? .both : nil)
        if target == nil, !m.has("version") { r.error("missing-field", "missing required field 'version' (stable, canary or both)") }
        let from = m.required("from")?.int(in: 0...1_000_000)
        let to = m.optional("to")?.int(in: 0...1_000_000)
        var set: [(field: String, value: Double)] = []
        for (key, _, range) in Behaviour.keys {
            if let value = m.optional(key)?.number(in: range) { set.append((key, value)) }
        }
        let drift = m.optional("drift")?.bool() ?? false
        if drift, to == nil { r.error("missing-field", "a drift needs 'to', the minute it reaches its value") }
        guard let target, let from else { return nil }
        return Event(target: target, from: from, to: to, minWeight: m.optional("minWeight")?.int(in: 0...100) ?? 0,
                     set: set, drift: drift, gap: gap)
    }
}
