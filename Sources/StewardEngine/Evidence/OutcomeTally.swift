import StewardSpec

/// Request outcomes of one version, added up: what a gateway reports (per
/// request: ok or error, latency, tokens, cost, and optionally a rating and
/// hallucination and safety flags) reduced to sufficient statistics. Tallies
/// of any spans add up exactly, so the agent's ingest can keep one per
/// bucket of time and the engine can pool any range of them.
public struct OutcomeTally: Sendable {
    public var requests: Double = 0
    public var errors: Double = 0
    /// Requests checked for hallucination, and those that had one.
    public var hallucinationChecks: Double = 0
    public var hallucinations: Double = 0
    /// Requests checked for safety, and the violations.
    public var safetyChecks: Double = 0
    public var safetyViolations: Double = 0
    public var latency = LatencyHistogram()
    public var rating = Moments()
    public var cost = Moments()
    public var tokens = Moments()

    public init() {}

    /// Count, sum and sum of squares of a continuous measure.
    public struct Moments: Sendable {
        public var count: Double = 0
        public var sum: Double = 0
        public var sumOfSquares: Double = 0

        public init(count: Double = 0, sum: Double = 0, sumOfSquares: Double = 0) {
            self.count = count
            self.sum = sum
            self.sumOfSquares = sumOfSquares
        }

        public mutating func add(_ x: Double) {
            count += 1
            sum += x
            sumOfSquares += x * x
        }

        public mutating func add(_ other: Moments) {
            count += other.count
            sum += other.sum
            sumOfSquares += other.sumOfSquares
        }

        var statistics: MetricStatistics { .mean(count: count, sum: sum, sumOfSquares: sumOfSquares) }
    }

    /// Adds another tally's outcomes.
    public mutating func add(_ other: OutcomeTally) {
        requests += other.requests
        errors += other.errors
        hallucinationChecks += other.hallucinationChecks
        hallucinations += other.hallucinations
        safetyChecks += other.safetyChecks
        safetyViolations += other.safetyViolations
        latency = latency.merged(with: other.latency)
        rating.add(other.rating)
        cost.add(other.cost)
        tokens.add(other.tokens)
    }

    /// The sufficient statistics of one measure; nil when nothing was measured.
    public func statistics(for measure: IngestMeasure) -> MetricStatistics? {
        let result: MetricStatistics = switch measure {
        case .errorRate: .rate(events: errors, trials: requests)
        case .hallucinationRate: .rate(events: hallucinations, trials: hallucinationChecks)
        case .safetyViolations: .rate(events: safetyViolations, trials: safetyChecks)
        case .latencyP50, .latencyP95, .latencyP99: .latency(latency)
        case .rating: rating.statistics
        case .costPerRequest: cost.statistics
        case .tokensPerRequest: tokens.statistics
        }
        return result.samples > 0 ? result : nil
    }
}
