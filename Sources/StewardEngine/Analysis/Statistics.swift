#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fixed-sample test experiments still use: Pearson's chi-squared
/// goodness-of-fit test of the split itself (sample-ratio mismatch). The
/// split is checked on counts that grow with time, but a real mismatch only
/// grows more certain, and the threshold (p < 0.001) is strict; winners
/// come from `ConfidenceSequence`, which may be checked at any time.
public enum Statistics {
    /// p-value of Pearson's chi-squared test that `observed` counts follow `expectedShares`.
    public static func sampleRatioMismatch(observed: [Double], expectedShares: [Double]) -> Double {
        let total = observed.reduce(0, +)
        let shareTotal = expectedShares.reduce(0, +)
        guard total > 0, shareTotal > 0, observed.count == expectedShares.count, observed.count > 1 else { return 1 }
        var chiSquared = 0.0
        for (count, share) in zip(observed, expectedShares) {
            let expected = total * share / shareTotal
            guard expected > 0 else { return count > 0 ? 0 : 1 }
            chiSquared += (count - expected) * (count - expected) / expected
        }
        return chiSquaredSurvival(chiSquared, degreesOfFreedom: Double(observed.count - 1))
    }

    /// P(X > x) for a chi-squared variable: the regularized upper gamma Q(k/2, x/2).
    public static func chiSquaredSurvival(_ x: Double, degreesOfFreedom k: Double) -> Double {
        guard x > 0 else { return 1 }
        return regularizedUpperGamma(k / 2, x / 2)
    }

    /// Q(a, x), by its series below a + 1 and its continued fraction above.
    static func regularizedUpperGamma(_ a: Double, _ x: Double) -> Double {
        let logPrefactor = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var term = 1 / a, sum = term, n = a
            for _ in 0..<10_000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-15 { break }
            }
            return max(0, 1 - sum * exp(logPrefactor))
        }
        // Lentz's method.
        var b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < 1e-300 { d = 1e-300 }
            c = b + an / c
            if abs(c) < 1e-300 { c = 1e-300 }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return min(1, exp(logPrefactor) * h)
    }
}
