import StewardEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Draws one minute of request outcomes of a version from its true behaviour.
enum OutcomeSampler {
    /// Latency bins of equal probability for large minutes (256 bins: the
    /// top one stands for the slowest 0.4%); smaller ones draw each request.
    private static let bins = 256
    private static let binQuantiles: [Double] = (0..<bins).map { inverseNormal((Double($0) + 0.5) / Double(bins)) }

    static func sample(_ b: TrafficScenario.Behaviour, requests n: Int, using rng: inout SeededRandom) -> OutcomeTally {
        var tally = OutcomeTally()
        guard n > 0 else { return tally }
        tally.requests = Double(n)
        tally.errors = Double(rng.binomial(n, b.errorRate))
        tally.hallucinationChecks = Double(n)
        tally.hallucinations = Double(rng.binomial(n, b.hallucinationRate))
        tally.safetyChecks = Double(n)
        tally.safetyViolations = Double(rng.binomial(n, b.safetyRate))
        if n <= bins {
            for _ in 0..<n { tally.latency.record(milliseconds: b.latencyMs * exp(b.latencySpread * rng.normal())) }
        } else {
            var remaining = n
            for bin in 0..<bins where remaining > 0 {
                let count = bin == bins - 1 ? remaining : rng.binomial(remaining, 1 / Double(bins - bin))
                remaining -= count
                if count > 0 { tally.latency.record(milliseconds: b.latencyMs * exp(b.latencySpread * binQuantiles[bin]), count: UInt64(count)) }
            }
        }
        tally.rating = moments(count: rng.binomial(n, b.ratingShare), mean: b.rating, sd: b.ratingSD, using: &rng)
        tally.cost = moments(count: n, mean: b.cost, sd: b.costSD, using: &rng)
        tally.tokens = moments(count: n, mean: b.tokens, sd: b.tokensSD, using: &rng)
        return tally
    }

    /// The sufficient statistics of `count` draws of a mean and spread: the
    /// sum drawn from its normal law, the squares set so the sample variance is `sd²`.
    private static func moments(count: Int, mean: Double, sd: Double, using rng: inout SeededRandom) -> OutcomeTally.Moments {
        guard count > 0 else { return OutcomeTally.Moments() }
        let m = Double(count)
        let sum = m * mean + (m.squareRoot() * sd) * rng.normal()
        return OutcomeTally.Moments(count: m, sum: sum, sumOfSquares: (m - 1) * sd * sd + sum * sum / m)
    }

    /// Φ⁻¹(p), by Acklam's rational approximation (relative error below 1.2e-9).
    static func inverseNormal(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
                 -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
                 -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
                 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        func tail(_ q: Double) -> Double {
            (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p < 0.02425 { return tail((-2 * log(p)).squareRoot()) }
        if p > 1 - 0.02425 { return -tail((-2 * log(1 - p)).squareRoot()) }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
