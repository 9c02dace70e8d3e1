import Histogram

/// Sufficient statistics of one metric of one version over a span of time:
/// whatever any range of windows needs to be pooled exactly (by `merged`).
public enum MetricStatistics: Sendable {
    /// Events among trials: error, hallucination or safety-violation rates.
    case rate(events: Double, trials: Double)
    /// A continuous measure per request: rating, cost, tokens.
    case mean(count: Double, sum: Double, sumOfSquares: Double)
    /// Latencies, for quantiles (p50, p95, p99), in milliseconds.
    case latency(LatencyHistogram)
    /// A provider that reports one number per window (a Prometheus query):
    /// each window is one observation; `samples` counts the requests behind them.
    case windows(count: Double, sum: Double, sumOfSquares: Double, samples: Double)

    /// One window's number and how many requests it stands for.
    public static func value(_ value: Double, samples: Double) -> MetricStatistics {
        .windows(count: 1, sum: value, sumOfSquares: value * value, samples: samples)
    }

    /// The requests measured.
    public var samples: Double {
        switch self {
        case .rate(_, let trials): trials
        case .mean(let count, _, _): count
        case .latency(let histogram): Double(histogram.count)
        case .windows(_, _, _, let samples): samples
        }
    }

    /// The point estimate: the rate, the mean, the median latency, or the mean of window values.
    public var estimate: Double? {
        switch self {
        case .rate(let events, let trials): trials > 0 ? events / trials : nil
        case .mean(let count, let sum, _), .windows(let count, let sum, _, _): count > 0 ? sum / count : nil
        case .latency(let histogram): histogram.quantile(0.5)
        }
    }

    /// Whether every number is finite and no count is negative. Anything
    /// else (NaN from a metrics backend, say) must never be judged: it is
    /// inconclusive, not a pass.
    public var isWellFormed: Bool {
        switch self {
        case .rate(let events, let trials):
            events.isFinite && trials.isFinite && events >= 0 && trials >= 0 && events <= trials
        case .mean(let count, let sum, let squares), .windows(let count, let sum, let squares, _):
            count.isFinite && sum.isFinite && squares.isFinite && count >= 0 && squares >= 0 && samples.isFinite && samples >= 0
        case .latency:
            true
        }
    }

    /// All of `parts` pooled; nil when there are none or their kinds differ.
    public static func pooled(_ parts: some Sequence<MetricStatistics>) -> MetricStatistics? {
        var total: MetricStatistics?
        for part in parts {
            guard let sum = total else {
                total = part
                continue
            }
            guard let merged = sum.merged(with: part) else { return nil }
            total = merged
        }
        return total
    }

    /// A single window's number read as a rate (value × samples events among
    /// samples trials), as a rate measure's provider means it.
    var asRate: MetricStatistics {
        guard case .windows(1, let value, _, let samples) = self else { return self }
        return .rate(events: (value * samples).rounded(), trials: samples)
    }

    /// Both spans pooled, or nil when the kinds differ.
    public func merged(with other: MetricStatistics) -> MetricStatistics? {
        switch (self, other) {
        case let (.rate(e1, t1), .rate(e2, t2)):
            .rate(events: e1 + e2, trials: t1 + t2)
        case let (.mean(c1, s1, q1), .mean(c2, s2, q2)):
            .mean(count: c1 + c2, sum: s1 + s2, sumOfSquares: q1 + q2)
        case let (.latency(h1), .latency(h2)):
            .latency(h1.merged(with: h2))
        case let (.windows(c1, s1, q1, n1), .windows(c2, s2, q2, n2)):
            .windows(count: c1 + c2, sum: s1 + s2, sumOfSquares: q1 + q2, samples: n1 + n2)
        default:
            nil
        }
    }

    /// Mean and variance of one observation, for `.mean` and `.windows`.
    var meanAndVariance: (mean: Double, variance: Double, count: Double)? {
        switch self {
        case .mean(let count, let sum, let squares), .windows(let count, let sum, let squares, _):
            guard count >= 2 else { return nil }
            let mean = sum / count
            return (mean, max(0, (squares - count * mean * mean) / (count - 1)), count)
        default:
            return nil
        }
    }
}

/// A mergeable latency histogram (HdrHistogram, two significant digits:
/// quantiles within 1%), in milliseconds from 1 ms to one hour. Its counts
/// (16 KiB) are allocated with the first latency: a tally with none, of
/// which an agent with a thousand rollouts holds thousands, costs nothing.
public struct LatencyHistogram: Sendable {
    public static let highestMilliseconds: UInt64 = 3_600_000
    var histogram: Histogram<UInt64>?

    public init() {}

    static func empty() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: highestMilliseconds, numberOfSignificantValueDigits: .two)
    }

    /// Records one latency; values past an hour count as an hour, and
    /// non-finite or negative ones as one hour too (slow is the safe reading).
    public mutating func record(milliseconds: Double, count: UInt64 = 1) {
        let clamped = milliseconds.isFinite && milliseconds >= 0 ? min(milliseconds, Double(Self.highestMilliseconds)) : Double(Self.highestMilliseconds)
        if histogram == nil { histogram = Self.empty() }
        _ = histogram!.record(UInt64(clamped.rounded()), count: count)
    }

    /// Latencies recorded.
    public var count: UInt64 { histogram?.totalCount ?? 0 }

    /// The latency at quantile `q` (0...1), or nil when empty.
    public func quantile(_ q: Double) -> Double? {
        guard let histogram, count > 0 else { return nil }
        return Double(histogram.valueAtPercentile(q * 100))
    }

    /// The distinct recorded values in increasing order, each with how many
    /// latencies are at or below it.
    func cumulativeCounts() -> [(value: Double, atOrBelow: Double)] {
        guard let histogram else { return [] }
        var result: [(Double, Double)] = []
        var total = 0.0
        for entry in histogram.recordedValues() {
            total += Double(entry.count)
            result.append((Double(histogram.highestEquivalentForValue(entry.value)), total))
        }
        return result
    }

    /// Each distinct recorded value (milliseconds) with its count, for storage.
    public func recordedCounts() -> [(value: UInt64, count: UInt64)] {
        guard let histogram else { return [] }
        return histogram.recordedValues().map { (histogram.lowestEquivalentForValue($0.value), $0.count) }
    }

    /// Both histograms' latencies together.
    public func merged(with other: LatencyHistogram) -> LatencyHistogram {
        guard let theirs = other.histogram else { return self }
        guard histogram != nil else { return other }
        var copy = self
        copy.histogram!.add(theirs)
        return copy
    }
}
