#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The tests experiments use, each named as in the docs:
/// - rates (error rate, hallucination rate): the two-proportion z-test;
/// - continuous metrics (latency, cost, rating): Welch's t-test;
/// - the split itself: Pearson's chi-squared goodness-of-fit test for
///   sample-ratio mismatch.
public enum Statistics {
    /// Two-sided p-value of the two-proportion z-test (pooled variance).
    public static func twoProportionZTest(successesA: Double, trialsA: Double, successesB: Double, trialsB: Double) -> Double {
        guard trialsA > 0, trialsB > 0 else { return 1 }
        let pooled = (successesA + successesB) / (trialsA + trialsB)
        let standardError = (pooled * (1 - pooled) * (1 / trialsA + 1 / trialsB)).squareRoot()
        guard standardError > 0 else { return successesA / trialsA == successesB / trialsB ? 1 : 0 }
        let z = (successesA / trialsA - successesB / trialsB) / standardError
        return erfc(abs(z) / 2.0.squareRoot())
    }

    /// Two-sided p-value of Welch's t-test from means, standard deviations and counts.
    public static func welchTTest(meanA: Double, sdA: Double, countA: Double, meanB: Double, sdB: Double, countB: Double) -> Double {
        guard countA > 1, countB > 1 else { return 1 }
        let varianceA = sdA * sdA / countA, varianceB = sdB * sdB / countB
        let standardError = (varianceA + varianceB).squareRoot()
        guard standardError > 0 else { return meanA == meanB ? 1 : 0 }
        let t = (meanA - meanB) / standardError
        let df = (varianceA + varianceB) * (varianceA + varianceB)
            / (varianceA * varianceA / (countA - 1) + varianceB * varianceB / (countB - 1))
        // P(|T| > t) = I_{df/(df+t²)}(df/2, 1/2)
        return regularizedIncompleteBeta(df / (df + t * t), a: df / 2, b: 0.5)
    }

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

    /// I_x(a, b), by its continued fraction (Lentz's method).
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        guard x > 0 else { return 0 }
        guard x < 1 else { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1 - x)
        if x > (a + 1) / (a + b + 2) {
            return 1 - regularizedIncompleteBeta(1 - x, a: b, b: a)
        }
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < 1e-300 { d = 1e-300 }
        d = 1 / d
        var h = d
        for m in 1..<10_000 {
            let m = Double(m)
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d; if abs(d) < 1e-300 { d = 1e-300 }
            c = 1 + even / c; if abs(c) < 1e-300 { c = 1e-300 }
            d = 1 / d
            h *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d; if abs(d) < 1e-300 { d = 1e-300 }
            c = 1 + odd / c; if abs(c) < 1e-300 { c = 1e-300 }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return exp(logFront) * h / a
    }
}
