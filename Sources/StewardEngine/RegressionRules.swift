#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StewardSpec

/// The template's critical rules applied to the *true* behaviour of a
/// simulated world: what makes a canary a regression at some minute, by the
/// rules its own users wrote, whatever any analysis can see. Randomized
/// worlds are labelled by it, minute by minute, rather than by hand.
public struct RegressionRules: Sendable {
    public struct Rule: Sendable {
        public var metric: String
        public var measure: IngestMeasure
        public var condition: FailCondition
    }

    public var rules: [Rule]

    /// The critical metrics of `rollout` that read the ingest measures.
    public init(desired: DesiredState, rollout: Rollout) {
        rules = desired.metrics(of: rollout).compactMap { metric in
            guard metric.severity == .critical, let measure = metric.ingestMeasure else { return nil }
            return Rule(metric: metric.name, measure: measure, condition: metric.failWhen)
        }
    }

    /// The first rule the canary crosses when it behaves as `canary` beside
    /// `stable`, or nil. An absolute rule that stable crosses too is an
    /// incident on both versions, not the canary's doing.
    public func crossed(canary: TrafficScenario.Behaviour, stable: TrafficScenario.Behaviour) -> String? {
        rules.first { rule in
            let c = Self.trueValue(rule.measure, canary), s = Self.trueValue(rule.measure, stable)
            let k = rule.condition.threshold
            let above = rule.condition.comparison == .above
            func bad(_ x: Double) -> Bool { above ? x > k : x < k }
            guard rule.condition.relativeTo == .stable else { return bad(c) && !bad(s) }
            guard s > 0 else { return c > 0 && above }
            return bad(c / s)
        }?.metric
    }

    /// A measure's true value for a behaviour: rates and means as they are,
    /// quantiles of the log-normal latency.
    public static func trueValue(_ measure: IngestMeasure, _ b: TrafficScenario.Behaviour) -> Double {
        switch measure {
        case .errorRate: b.errorRate
        case .hallucinationRate: b.hallucinationRate
        case .safetyViolations: b.safetyRate
        case .rating: b.rating
        case .costPerRequest: b.cost
        case .tokensPerRequest: b.tokens
        case .latencyP50, .latencyP95, .latencyP99:
            b.latencyMs * exp(b.latencySpread * OutcomeSampler.inverseNormal(measure.quantile ?? 0.95))
        }
    }
}
