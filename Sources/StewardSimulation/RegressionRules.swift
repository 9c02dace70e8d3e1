import StewardEngine
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
    /// The one-sided normal quantile of the template's confidence: the
    /// z-score a single fixed-sample test must reach to fail a metric.
    public var criticalZ: Double

    /// The critical metrics of `rollout` that read the ingest measures.
    public init(desired: DesiredState, rollout: Rollout) {
        rules = desired.metrics(of: rollout).compactMap { metric in
            guard metric.severity == .critical, let measure = metric.ingestMeasure else { return nil }
            return Rule(metric: metric.name, measure: measure, condition: metric.failWhen)
        }
        let confidence = rollout.analysisReferences.flatMap(\.templates).compactMap { desired.analysisTemplates[$0]?.confidence }.max()
        criticalZ = OutcomeSampler.inverseNormal(confidence ?? 0.99)
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

    /// What `requests` canary requests tell an oracle about each rule the
    /// canary crosses: the squared z-score they add to a fixed-sample test
    /// that knows stable's true value, `n·δ²/σ²` for one request's
    /// variance σ² and the true distance δ past the threshold. Summed over
    /// a run, its square root is the z such a test expects to reach: an
    /// upper bound on what any analysis can see in that exposure.
    public func information(canary: TrafficScenario.Behaviour, stable: TrafficScenario.Behaviour,
                            requests: Int) -> [String: Double] {
        var result: [String: Double] = [:]
        for rule in rules {
            let k = rule.condition.threshold
            let above = rule.condition.comparison == .above
            let relative = rule.condition.relativeTo == .stable
            let bound = relative ? k * Self.trueValue(rule.measure, stable) : k
            let n = Double(requests)
            let perRequest: Double
            switch rule.measure {
            case .errorRate, .hallucinationRate, .safetyViolations:
                let p = Self.trueValue(rule.measure, canary)
                perRequest = Self.squaredZ(distance: above ? p - bound : bound - p, variance: p * (1 - p))
            case .rating:
                perRequest = canary.ratingShare * Self.squaredZ(distance: above ? canary.rating - bound : bound - canary.rating,
                                                                variance: canary.ratingSD * canary.ratingSD)
            case .costPerRequest, .tokensPerRequest:
                let (mean, sd) = rule.measure == .costPerRequest ? (canary.cost, canary.costSD) : (canary.tokens, canary.tokensSD)
                perRequest = Self.squaredZ(distance: above ? mean - bound : bound - mean, variance: sd * sd)
            case .latencyP50, .latencyP95, .latencyP99:
                // A quantile above its bound is a share of requests over the bound above 1 − q.
                let q = rule.measure.quantile ?? 0.95
                let over = 0.5 * erfc(log(bound / canary.latencyMs) / (canary.latencySpread * 2.0.squareRoot()))
                perRequest = Self.squaredZ(distance: above ? over - (1 - q) : (1 - q) - over, variance: over * (1 - over))
            }
            if perRequest > 0 { result[rule.metric] = n * perRequest }
        }
        return result
    }

    private static func squaredZ(distance: Double, variance: Double) -> Double {
        distance > 0 && variance > 0 ? distance * distance / variance : 0
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
