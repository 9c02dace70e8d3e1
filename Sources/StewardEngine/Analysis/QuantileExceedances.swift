#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Quantiles given one number per window, judged by how often each window's
/// number lies past the threshold, which holds for windows of any size.
///
/// A window's q-quantile of n requests is the r-th smallest of them, r =
/// ⌈qn⌉. If the version's true q-quantile were exactly the threshold T, the
/// r-th smallest would exceed T with probability P(Bin(n, q) < r), known
/// exactly for every n. So each window is a coin with a known bias at the
/// boundary: more heads than those biases add up to says the quantile is
/// above T, fewer says below. From three requests a p95 reads low (it is the
/// slowest of three), and the known bias says exactly how low.
public struct QuantileExceedances: Sendable, Hashable {
    /// Windows past the threshold, and how many the boundary expects.
    public var observed = 0.0
    public var expected = 0.0
    /// The sum of p(1 − p): the variance of `observed` at the boundary.
    public var variance = 0.0
    public var windows = 0.0
    /// The requests behind the windows.
    public var requests = 0.0

    public init() {}

    /// Adds a window: its quantile `value` of `requests`, against `threshold`.
    public mutating func add(value: Double, requests: Double, threshold: Double, q: Double) {
        guard requests >= 1, value.isFinite, threshold.isFinite, threshold > 0 else { return }
        let p = Self.exceedanceAtBoundary(requests: Int(min(requests, 10_000)), q: q)
        observed += value > threshold ? 1 : 0
        expected += p
        variance += p * (1 - p)
        windows += 1
        self.requests += requests
    }

    public mutating func add(_ other: QuantileExceedances) {
        observed += other.observed
        expected += other.expected
        variance += other.variance
        windows += other.windows
        requests += other.requests
    }

    /// P(Bin(n, q) < ⌈qn⌉): the chance that the ⌈qn⌉-th smallest of n
    /// draws exceeds the true q-quantile.
    public static func exceedanceAtBoundary(requests n: Int, q: Double) -> Double {
        let rank = max(1, Int((q * Double(n)).rounded(.up)))
        var total = 0.0
        for k in 0..<rank {
            total += exp(lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
                         + Double(k) * log(q) + Double(n - k) * log1p(-q))
        }
        return min(1, max(0, total))
    }

    /// Where the share of windows past the threshold lies against the
    /// boundary's, at level α: an anytime-valid normal mixture on the
    /// excess, its variance known at the boundary. Returned as an index on
    /// the threshold's scale: `threshold` × (observed over expected), so that
    /// past the threshold means past it.
    public func interval(threshold: Double, alpha: Double) -> ConfidenceSequence.Interval {
        let m = max(windows, 1)
        let excess = ConfidenceSequence.gaussian(estimate: (observed - expected) / m, variance: variance / (m * m),
                                                 alpha: alpha, tau: (variance / (m * m)).squareRoot())
        let scale = threshold / max(expected / m, 1e-9)
        return .init(lower: max(0, threshold + excess.lower * scale), upper: max(0, threshold + excess.upper * scale))
    }

    /// The index of `interval`, at the point estimate.
    public func index(threshold: Double) -> Double { threshold * (observed + 0.5) / (expected + 0.5) }
}
