#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Anytime-valid confidence sequences: intervals that hold the true value at
/// every moment at once with probability at least 1 − α, so they may be
/// looked at after every request without the error growing. Each one is the
/// set of values a mixture likelihood-ratio martingale has not rejected
/// (Robbins 1970; Howard, Ramdas, McAuliffe, Sekhon, "Time-uniform,
/// nonparametric, nonasymptotic confidence sequences", Ann. Statist. 2021),
/// which is how Netflix's canary analysis judges pooled evidence (Lindon,
/// Sanden, Shirikian, "Rapid Regression Detection in Software Deployments
/// through Sequential Testing", KDD 2022).
public enum ConfidenceSequence {
    /// Where a value lies, with confidence 1 − α at every look.
    public struct Interval: Sendable, Hashable {
        public var lower: Double
        public var upper: Double
        public init(lower: Double, upper: Double) {
            self.lower = lower
            self.upper = upper
        }
        public var halfWidth: Double { (upper - lower) / 2 }
    }

    /// A rate: `events` among `trials`. The beta-binomial mixture (the
    /// conjugate mixture of Howard et al., section 3.2), its Beta prior
    /// centred on `priorMean` with the weight of `priorTrials` trials.
    /// Exact for any number of trials, so one safety violation is evidence.
    public static func rate(events: Double, trials: Double, alpha: Double, priorMean: Double, priorTrials: Double = 20) -> Interval {
        guard trials > 0 else { return Interval(lower: 0, upper: 1) }
        let center = min(max(priorMean, 0.001), 0.999)
        let a = center * priorTrials, b = (1 - center) * priorTrials
        let failures = trials - events
        let logMixture = logBeta(a + events, b + failures) - logBeta(a, b)
        // The set where the likelihood exceeds the mixture's by less than 1/α.
        let floor = logMixture - log(1 / alpha)
        func logLikelihood(_ q: Double) -> Double {
            (events > 0 ? events * log(q) : 0) + (failures > 0 ? failures * log1p(-q) : 0)
        }
        let estimate = events / trials
        let lower = events == 0 ? 0 : bisect(from: 0, to: estimate) { logLikelihood($0) > floor }
        let upper = failures == 0 ? 1 : bisect(from: 1, to: estimate) { logLikelihood($0) > floor }
        return Interval(lower: lower, upper: upper)
    }

    /// Whether the rate's confidence sequence leaves `value` out: the test
    /// behind `rate`, without finding the interval's ends.
    public static func rateExcludes(_ value: Double, events: Double, trials: Double, alpha: Double, priorMean: Double,
                                    priorTrials: Double = 20) -> Bool {
        guard trials > 0 else { return false }
        let center = min(max(priorMean, 0.001), 0.999)
        let a = center * priorTrials, b = (1 - center) * priorTrials
        let failures = trials - events
        let logMixture = logBeta(a + events, b + failures) - logBeta(a, b)
        let logLikelihood = (events > 0 ? events * log(value) : 0) + (failures > 0 ? failures * log1p(-value) : 0)
        return logMixture - logLikelihood >= log(1 / alpha)
    }

    /// The same span at one traffic split: events and trials of the canary and of stable.
    public struct SplitCounts: Sendable, Hashable {
        public var canaryEvents, canaryTrials, stableEvents, stableTrials: Double
        public init(canaryEvents: Double, canaryTrials: Double, stableEvents: Double, stableTrials: Double) {
            self.canaryEvents = canaryEvents
            self.canaryTrials = canaryTrials
            self.stableEvents = stableEvents
            self.stableTrials = stableTrials
        }
    }

    /// The ratio of the canary's event rate to stable's, from spans during
    /// which the split stayed the same. Given the events of a span, each is
    /// the canary's with probability ρn/(ρn + m) whatever the common rate
    /// did meanwhile (the conditional test of Poisson rates that Lindon et
    /// al. use for count data), so an incident that hits both versions is
    /// not blamed on the canary. The mixture over log ρ is an even blend of
    /// N(log `priorRatio`, 0.5²) and N(log `priorRatio`, 2²) on a fine grid:
    /// the narrow part is quick near the threshold, the wide one on a burst.
    /// Returns an interval per level and the maximum-likelihood ratio.
    public static func rateRatio(_ spans: [SplitCounts], alphas: [Double], priorRatio: Double = 1) -> RatioEvidence? {
        let spans = spans.filter { $0.canaryTrials > 0 && $0.stableTrials > 0 && $0.canaryEvents + $0.stableEvents > 0 }
        guard !spans.isEmpty else { return nil }
        let offsets = spans.map { log($0.canaryTrials) - log($0.stableTrials) }
        func logLikelihood(_ logRatio: Double) -> Double {
            var total = 0.0
            for (s, offset) in zip(spans, offsets) {
                // log π and log(1 − π) with π = ρn/(ρn + m), computed stably.
                let z = logRatio + offset
                total -= s.canaryEvents * softplus(-z) + s.stableEvents * softplus(z)
            }
            return total
        }
        let center = log(max(priorRatio, 1e-6))
        let step = 0.1, reach = 8.0
        var logTerms: [Double] = [], above: [Double] = [], below: [Double] = []
        var best = (logRatio: center, value: -Double.infinity)
        var x = center - reach
        while x <= center + reach {
            let value = logLikelihood(x)
            let term = value + logPrior(x - center) + log(step)
            logTerms.append(term)
            if x > center { above.append(term) } else if x < center { below.append(term) }
            if value > best.value { best = (x, value) }
            x += step
        }
        let logMixture = logSumExp(logTerms)
        let lowEnd = center - 3 * reach, highEnd = center + 3 * reach
        let atLowEnd = logLikelihood(lowEnd), atHighEnd = logLikelihood(highEnd)
        let intervals = alphas.map { alpha -> Interval in
            let floor = logMixture - log(1 / alpha)
            let lower = atLowEnd > floor ? 0 : exp(bisect(from: lowEnd, to: best.logRatio) { logLikelihood($0) > floor })
            let upper = atHighEnd > floor ? Double.infinity : exp(bisect(from: highEnd, to: best.logRatio) { logLikelihood($0) > floor })
            return Interval(lower: lower, upper: upper)
        }
        // Half the prior on each side, renormalised: one-sided tests of ρ ≤ k and ρ ≥ k.
        let atCenter = logLikelihood(center)
        return RatioEvidence(intervals: intervals, estimate: exp(best.logRatio),
                             logEvidenceAbove: log(2) + logSumExp(above) - atCenter,
                             logEvidenceBelow: log(2) + logSumExp(below) - atCenter)
    }

    /// What the rate ratio's mixture says: an interval per level, the
    /// maximum-likelihood ratio, and the log e-values against "ρ ≤ k" and
    /// "ρ ≥ k" (k the prior's centre) from the one-sided halves of the
    /// mixture. Each is a nonnegative supermartingale under its null, so
    /// rejecting when it reaches log(1/α) errs with probability at most α
    /// however often it is checked (Ville's inequality), and spends all of
    /// α on the side that matters.
    public struct RatioEvidence: Sendable {
        public var intervals: [Interval]
        public var estimate: Double
        public var logEvidenceAbove: Double
        public var logEvidenceBelow: Double
    }

    /// A mean (or a difference of means) estimated by `estimate` with
    /// variance `variance`: the normal mixture with prior N(0, τ²) on the
    /// effect, with the variance plugged in (an asymptotic confidence
    /// sequence: Waudby-Smith, Arbour, Sinha, Kennedy, Ramdas, "Time-uniform
    /// central limit theory and asymptotic confidence sequences", 2021).
    public static func gaussian(estimate: Double, variance: Double, alpha: Double, tau: Double) -> Interval {
        guard variance > 0, tau > 0 else { return Interval(lower: estimate, upper: estimate) }
        let t2 = tau * tau
        let radius = (variance * (variance + t2) / t2 * log((variance + t2) / (variance * alpha * alpha))).squareRoot()
        return Interval(lower: estimate - radius, upper: estimate + radius)
    }

    // MARK: - Numerics

    /// The log density of the rate ratio's prior at `d` from its centre (log scale).
    static func logPrior(_ d: Double) -> Double {
        let narrow = -d * d / (2 * 0.25) - log(0.5), wide = -d * d / (2 * 4) - log(2.0)
        return log(0.5) - 0.5 * log(2 * Double.pi) + logSumExp([narrow, wide])
    }

    static func logBeta(_ a: Double, _ b: Double) -> Double { lgamma(a) + lgamma(b) - lgamma(a + b) }

    /// log(1 + e^x) without overflow.
    static func softplus(_ x: Double) -> Double { x > 30 ? x : log1p(exp(x)) }

    static func logSumExp(_ xs: [Double]) -> Double {
        guard let top = xs.max(), top.isFinite else { return -Double.infinity }
        return top + log(xs.reduce(0) { $0 + exp($1 - top) })
    }

    /// The boundary between `outside` (where `inside` is false) and
    /// `center` (where it is true), to 1e-10 of their distance.
    static func bisect(from outside: Double, to center: Double, inside: (Double) -> Bool) -> Double {
        var out = outside, inn = center
        for _ in 0..<64 {
            let middle = (out + inn) / 2
            if inside(middle) { inn = middle } else { out = middle }
        }
        return inn
    }
}
