#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StewardSpec

/// One span of the canary's exposure during which the traffic split stayed
/// the same: both versions' statistics over it.
public struct ExposureSpan: Sendable {
    public var canary: MetricStatistics?
    public var stable: MetricStatistics?
    public var seconds: Double

    public init(canary: MetricStatistics?, stable: MetricStatistics?, seconds: Double) {
        self.canary = canary
        self.stable = stable
        self.seconds = seconds
    }
}

/// Judges a metric on all the evidence since the canary's exposure began,
/// by anytime-valid confidence sequences (see `ConfidenceSequence`): it
/// *fails* when the interval at the failure level lies wholly on the bad side
/// of the threshold, *passes* when the interval at the pass level lies
/// wholly on the good side, and is otherwise inconclusive. However often it
/// is asked, a canary whose true value is on the good side fails with
/// probability at most `failAlpha`.
///
/// - rates, absolute: the beta-binomial confidence sequence of the rate;
/// - rates relative to stable: the conditional-binomial confidence sequence
///   of the rate ratio, span by span, so a common incident cancels out;
/// - means (rating, cost, tokens) and per-window numbers: the normal
///   mixture on the canary's mean minus the threshold (times stable's mean
///   over the same spans, weighted as the canary's exposure was);
/// - latency quantiles, absolute: the quantile's confidence sequence, from
///   the share of latencies at or below each value;
/// - latency quantiles relative to stable: within the current span only
///   (load changes with the weight), the ratio bounded by both versions'
///   quantile intervals; the error is spent over spans as α·6/(π²s²), so it
///   adds up to α.
enum SequentialJudge {
    static func judge(_ metric: MetricSpec, spans: [ExposureSpan], failAlpha: Double, passAlpha: Double, at now: Moment) -> Verdict {
        let condition = metric.failWhen
        var verdict = Verdict(metric: metric.name, outcome: .inconclusive, severity: metric.severity,
                              threshold: condition.threshold, comparison: condition.comparison,
                              relativeToStable: condition.relativeTo == .stable, samples: 0, windowEnd: now)
        guard let canary = MetricStatistics.pooled(spans.compactMap(\.canary)) else {
            verdict.note = spans.contains { $0.canary != nil } ? "the canary's evidence is not one kind" : "no data for the canary"
            return verdict
        }
        verdict.samples = Int(min(canary.samples, 1e15))
        let estimate: Estimate
        switch measure(canary, metric, spans: spans, failAlpha: failAlpha, passAlpha: passAlpha) {
        case .success(let e): estimate = e
        case .failure(let why):
            verdict.note = why.text
            return verdict
        }
        verdict.value = estimate.value
        let above = condition.comparison == .above
        let threshold = estimate.threshold
        let failed = above ? estimate.failInterval.lower > threshold : estimate.failInterval.upper < threshold
        var passed = above ? estimate.passInterval.upper < threshold : estimate.passInterval.lower > threshold
        // "above: 0" on a rate is zero tolerance: no event yet is a pass.
        if above, threshold <= 0, verdict.relativeToStable == false, estimate.value == 0 { passed = true }
        verdict.interval = failed ? estimate.failInterval : estimate.passInterval
        if failed {
            verdict.outcome = .fail
        } else if verdict.samples < metric.minSamples {
            verdict.samplesNeeded = metric.minSamples - verdict.samples
            verdict.note = "needs \(metric.minSamples - verdict.samples) more samples (minSamples \(metric.minSamples))"
        } else if passed {
            verdict.outcome = .pass
        } else {
            verdict.samplesNeeded = samplesNeeded(estimate, samples: canary.samples, above: above)
        }
        return verdict
    }

    /// The value compared with the threshold, and where it lies at each level.
    struct Estimate {
        var value: Double
        var threshold: Double
        var failInterval: ConfidenceSequence.Interval
        var passInterval: ConfidenceSequence.Interval
        /// Intervals of a ratio are judged on a log scale.
        var logScale = false
    }

    struct Undecidable: Error {
        var text: String
    }

    private static func measure(_ canary: MetricStatistics, _ metric: MetricSpec, spans: [ExposureSpan],
                                failAlpha: Double, passAlpha: Double) -> Result<Estimate, Undecidable> {
        let k = metric.failWhen.threshold
        let relative = metric.failWhen.relativeTo == .stable
        switch canary {
        case .rate(let events, let trials):
            guard relative else {
                let at = { (alpha: Double) in ConfidenceSequence.rate(events: events, trials: trials, alpha: alpha, priorMean: k) }
                return .success(Estimate(value: events / trials, threshold: k, failInterval: at(failAlpha), passInterval: at(passAlpha)))
            }
            var counts: [ConfidenceSequence.SplitCounts] = []
            for span in spans {
                guard case .rate(let ce, let ct)? = span.canary, case .rate(let se, let st)? = span.stable else { continue }
                counts.append(.init(canaryEvents: ce, canaryTrials: ct, stableEvents: se, stableTrials: st))
            }
            guard !counts.isEmpty else { return .failure(Undecidable(text: "stable not measured over the same spans")) }
            guard let fail = ConfidenceSequence.rateRatio(counts, alpha: failAlpha, priorRatio: k),
                  let pass = ConfidenceSequence.rateRatio(counts, alpha: passAlpha, priorRatio: k) else {
                return .failure(Undecidable(text: "no events on either version yet"))
            }
            return .success(Estimate(value: fail.estimate, threshold: k, failInterval: fail.interval, passInterval: pass.interval, logScale: true))
        case .latency(let histogram):
            let q = quantileLevel(metric)
            guard relative else {
                let counts = histogram.cumulativeCounts(), n = Double(histogram.count)
                let at = { (alpha: Double) in quantileInterval(counts, total: n, q: q, alpha: alpha) }
                return .success(Estimate(value: histogram.quantile(q) ?? 0, threshold: k, failInterval: at(failAlpha), passInterval: at(passAlpha)))
            }
            return relativeQuantile(metric, spans: spans, q: q, failAlpha: failAlpha, passAlpha: passAlpha)
        case .mean, .windows:
            return relativeOrAbsoluteMean(canary, metric, spans: spans, failAlpha: failAlpha, passAlpha: passAlpha)
        }
    }

    /// The ratio of the canary's quantile to stable's, at the current weight:
    /// from each one's confidence sequence at half the level, the ratio lies
    /// between the canary's lowest over stable's highest and the canary's
    /// highest over stable's lowest.
    private static func relativeQuantile(_ metric: MetricSpec, spans: [ExposureSpan], q: Double,
                                         failAlpha: Double, passAlpha: Double) -> Result<Estimate, Undecidable> {
        guard let span = spans.last, case .latency(let canary)? = span.canary, case .latency(let stable)? = span.stable,
              canary.count > 0, stable.count > 0 else {
            return .failure(Undecidable(text: "both versions need latencies at the current weight"))
        }
        // Each span starts afresh, so the error is spent over spans: α·6/(π²s²) adds up to α.
        let spent = 6 / (Double.pi * Double.pi * Double(spans.count * spans.count))
        let canaryCounts = canary.cumulativeCounts(), stableCounts = stable.cumulativeCounts()
        func ratio(_ alpha: Double) -> ConfidenceSequence.Interval {
            let c = quantileInterval(canaryCounts, total: Double(canary.count), q: q, alpha: alpha * spent / 2)
            let s = quantileInterval(stableCounts, total: Double(stable.count), q: q, alpha: alpha * spent / 2)
            return .init(lower: c.lower / max(s.upper, 1), upper: c.upper / max(s.lower, 1))
        }
        let value = (canary.quantile(q) ?? 0) / max(stable.quantile(q) ?? 1, 1)
        return .success(Estimate(value: value, threshold: metric.failWhen.threshold, failInterval: ratio(failAlpha), passInterval: ratio(passAlpha)))
    }

    /// A confidence sequence for the q-quantile: the values at which the
    /// share at or below could still be q (Howard & Ramdas, "Sequential
    /// estimation of quantiles with applications to A/B-testing and
    /// best-arm identification", Bernoulli 2022), found by binary search
    /// over the recorded values.
    static func quantileInterval(_ counts: [(value: Double, atOrBelow: Double)], total: Double, q: Double,
                                 alpha: Double) -> ConfidenceSequence.Interval {
        func share(_ i: Int) -> ConfidenceSequence.Interval {
            ConfidenceSequence.rate(events: counts[i].atOrBelow, trials: total, alpha: alpha, priorMean: q)
        }
        // The last value surely below the quantile, and the first surely at or above it.
        let lowIndex = partition(counts.count) { share($0).upper >= q } - 1
        let highIndex = partition(counts.count) { share($0).lower > q }
        return .init(lower: lowIndex >= 0 ? counts[lowIndex].value : 0,
                     upper: highIndex < counts.count ? counts[highIndex].value : Double(LatencyHistogram.highestMilliseconds))
    }

    /// The first index in 0..<count where `isAfter` holds (it must hold for all later ones).
    private static func partition(_ count: Int, _ isAfter: (Int) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if isAfter(middle) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    private static func relativeOrAbsoluteMean(_ canary: MetricStatistics, _ metric: MetricSpec, spans: [ExposureSpan],
                                               failAlpha: Double, passAlpha: Double) -> Result<Estimate, Undecidable> {
        guard let c = canary.meanAndVariance else { return .failure(Undecidable(text: "needs at least two observations")) }
        let k = metric.failWhen.threshold
        guard metric.failWhen.relativeTo == .stable else {
            let variance = c.variance / c.count
            let tau = max(abs(k) * 0.1, variance.squareRoot())
            let at = { (alpha: Double) in ConfidenceSequence.gaussian(estimate: c.mean, variance: variance, alpha: alpha, tau: tau) }
            return .success(Estimate(value: c.mean, threshold: k, failInterval: at(failAlpha), passInterval: at(passAlpha)))
        }
        // Stable's mean over the same spans, weighted as the canary's exposure was.
        var matched = 0.0, matchedVariance = 0.0, weight = 0.0
        for span in spans {
            guard let cs = span.canary, let s = span.stable?.meanAndVariance, cs.samples > 0 else { continue }
            let share = cs.samples
            matched += share * s.mean
            matchedVariance += share * share * s.variance / s.count
            weight += share
        }
        guard weight > 0 else { return .failure(Undecidable(text: "stable not measured over the same spans")) }
        matched /= weight
        matchedVariance /= weight * weight
        guard matched > 0 else { return .failure(Undecidable(text: "stable's mean is not positive, so a ratio means nothing")) }
        let difference = c.mean - k * matched
        let variance = c.variance / c.count + k * k * matchedVariance
        let tau = max(0.1 * k * matched, variance.squareRoot())
        // Shown as the ratio to stable: k + difference / stable's mean.
        let at = { (alpha: Double) -> ConfidenceSequence.Interval in
            let d = ConfidenceSequence.gaussian(estimate: difference, variance: variance, alpha: alpha, tau: tau)
            return .init(lower: k + d.lower / matched, upper: k + d.upper / matched)
        }
        return .success(Estimate(value: c.mean / matched, threshold: k, failInterval: at(failAlpha), passInterval: at(passAlpha)))
    }

    /// About how many more samples before the interval at the level that
    /// would decide clears the threshold, as intervals narrow like 1/√n.
    private static func samplesNeeded(_ e: Estimate, samples: Double, above: Bool) -> Int? {
        let goodSide = above ? e.value < e.threshold : e.value > e.threshold
        let interval = goodSide ? e.passInterval : e.failInterval
        let scale: (Double) -> Double = e.logScale ? { log(max($0, 1e-300)) } : { $0 }
        let gap = abs(scale(e.value) - scale(e.threshold))
        let halfWidth = (scale(interval.upper) - scale(interval.lower)) / 2
        guard gap > 0, halfWidth.isFinite, samples > 0 else { return nil }
        let needed = samples * (halfWidth / gap) * (halfWidth / gap) - samples
        return needed.isFinite ? Int(min(max(needed, 1), 1e12)) : nil
    }

    private static func quantileLevel(_ metric: MetricSpec) -> Double {
        if case .ingest(let measure) = metric.provider, let q = measure.quantile { return q }
        return 0.95
    }
}
