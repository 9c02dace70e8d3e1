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
    /// The provider's latest number for the canary was not a number: hold.
    public var canaryMalformed: Bool
    /// The canary's quantiles given from too few requests a window, set
    /// aside, and the requests behind them.
    public var canaryWeakWindows: Int
    public var canaryWeakRequests: Double
    /// With weak windows: every canary window against the threshold, so that
    /// they are judged after all (see `QuantileExceedances`).
    public var canaryExceedances: QuantileExceedances?

    public init(canary: MetricStatistics?, stable: MetricStatistics?, seconds: Double, canaryMalformed: Bool = false,
                canaryWeakWindows: Int = 0, canaryWeakRequests: Double = 0) {
        self.canary = canary
        self.stable = stable
        self.seconds = seconds
        self.canaryMalformed = canaryMalformed
        self.canaryWeakWindows = canaryWeakWindows
        self.canaryWeakRequests = canaryWeakRequests
    }

    /// Fewer requests than this behind one window's quantile and the window
    /// is set aside: below it the sample's p95 is one of the few slowest
    /// requests and reads low, so a slow canary would pass on it.
    public static let minimumRequestsPerQuantile = 20.0
}

/// The latest stretch of the canary's exposure at its current weight: the
/// exposure is cut into pieces of `pieceSeconds` from each weight change,
/// and the window runs from the start of the previous piece of this weight
/// (so it holds 15 to 30 minutes, or all of a younger weight) to now. Each
/// start is a confidence sequence of its own, the i-th given
/// α/2 · 1/(i(i+1)) of the failure level, so all of them together, with
/// the pooled test's α/2, stay within α.
public struct RecentWindow: Sendable {
    public static let pieceSeconds = 900.0
    public var span: ExposureSpan
    /// The window's start counted over the whole exposure, from 1.
    public var index: Int
    public var minutes: Int
    /// The last `latestSeconds` of the window, when it is longer: looked at
    /// only to hold a promotion, so a regression that began minutes before
    /// it is not diluted by the healthy quarter hour before it.
    public var latest: ExposureSpan?
    public static let latestSeconds = 300.0

    public init(span: ExposureSpan, index: Int, minutes: Int, latest: ExposureSpan? = nil) {
        self.span = span
        self.index = index
        self.minutes = minutes
        self.latest = latest
    }

    /// "the last minute", "the last 17 minutes".
    var stretch: String { minutes <= 1 ? "the last minute" : "the last \(minutes) minutes" }

    func failShare(_ alpha: Double) -> Double {
        let i = Double(max(1, index))
        return alpha / 2 / (i * (i + 1))
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
///   adds up to α;
/// - quantiles given one number per window from too few requests: by how
///   often each window's number lies past the threshold (`QuantileExceedances`).
///
/// Beside the pooled test, the recent window (`RecentWindow`) is judged
/// alone, so that a late regression is neither diluted nor promoted.
enum SequentialJudge {
    /// - Parameter recent: the latest stretch of the current span (see
    ///   `RecentWindow`), judged alone so that a regression that began late
    ///   is not diluted by the healthy hours before it.
    static func judge(_ metric: MetricSpec, spans: [ExposureSpan], recent: RecentWindow? = nil,
                      failAlpha: Double, passAlpha: Double, at now: Moment) -> Verdict {
        let condition = metric.failWhen
        var verdict = Verdict(metric: metric.name, outcome: .inconclusive, severity: metric.severity,
                              threshold: condition.threshold, comparison: condition.comparison,
                              relativeToStable: condition.relativeTo == .stable, samples: 0, windowEnd: now)
        if spans.last?.canaryMalformed == true {
            verdict.note = "the latest measurement is not a number (NaN or infinite): never a pass"
            return verdict
        }
        let exceedances = spans.compactMap(\.canaryExceedances).reduce(into: QuantileExceedances()) { $0.add($1) }
        let strongWindows: Double = if case .windows(let count, _, _, _)? = MetricStatistics.pooled(spans.compactMap(\.canary)) { count } else { 0 }
        if exceedances.windows >= 10, strongWindows < 10 {
            return judge(exceedances, verdict, metric, failAlpha: failAlpha, passAlpha: passAlpha)
        }
        guard let canary = MetricStatistics.pooled(spans.compactMap(\.canary)), canary.samples > 0 else {
            let weak = spans.reduce(0) { $0 + $1.canaryWeakWindows }
            verdict.samples = Int(min(spans.reduce(0) { $0 + $1.canaryWeakRequests }, 1e15))
            verdict.note = spans.contains { $0.canary != nil && $0.canary!.samples > 0 } ? "the canary's evidence is not one kind"
                : weak > 0 ? "its \(weak) windows each give a quantile from fewer than \(Int(ExposureSpan.minimumRequestsPerQuantile)) requests, "
                    + "which reads low: set aside (ask the provider over longer windows); they stand for"
                : "no data for the canary"
            return verdict
        }
        verdict.samples = Int(min(canary.samples, 1e15))
        let estimate: Estimate
        let judgesRecent = recent != nil && judgesRecentAlone(canary, metric)
        switch measure(canary, metric, spans: spans, failAlpha: judgesRecent ? failAlpha / 2 : failAlpha, passAlpha: passAlpha) {
        case .success(let e): estimate = e
        case .failure(let why):
            verdict.note = why.text
            return verdict
        }
        guard estimate.isNumber else {
            verdict.note = "the evidence is not a number"
            return verdict
        }
        let above = condition.comparison == .above
        verdict.value = estimate.value
        verdict.interval = estimate.passInterval
        verdict.favoursFailure = estimate.favoursByEvidence ?? (verdict.estimateOnGoodSide == false)
        // A rate ratio's estimate on the bad side with ten canary events behind it holds a promotion, as a recent
        // stretch's does, so that a rare-event regression just over its limit is not promoted for want of two-to-one
        // evidence. It does not roll back at the deadline: looked at for hours at low traffic, ten events of a healthy
        // canary read over the limit now and then.
        verdict.pastLimit = pointsToRegression(estimate, canary, above: above, least: 0)
        let sharedIncidentNote = "stable fails it too over the same time, and the canary is no worse: an incident on both versions is not the canary's doing"
        let recentEstimate = recent.flatMap { measureRecent($0, metric, failAlpha: failAlpha, passAlpha: passAlpha) }
        // Nor is a version promoted while its latest stretch favours a regression: a late one is not diluted at promotion.
        if let recent, pointsToRegression(recentEstimate, recent.span.canary, above: above, least: 0) {
            verdict.favoursFailure = true
        }
        if !verdict.favoursFailure, let latest = recent?.latest, let canary = latest.canary, Self.enoughBehind(canary),
           case .success(let e) = measure(canary, metric, spans: [latest], failAlpha: passAlpha, passAlpha: passAlpha), e.isNumber,
           pointsToRegression(e, canary, above: above, least: Self.leastLatestSamples) {
            verdict.favoursFailure = true
        }
        if estimate.fails(above: above) {
            verdict.outcome = .fail
            verdict.interval = estimate.failInterval
            if sharedIncident(metric, spans: spans, alpha: judgesRecent ? failAlpha / 2 : failAlpha) {
                verdict.outcome = .inconclusive
                verdict.note = sharedIncidentNote
            }
        } else if judgesRecent, let recent, let current = recentEstimate, current.fails(above: above) {
            // A regression that began late, or only at this weight, is not diluted by the healthy spans before it.
            verdict.outcome = .fail
            verdict.value = current.value
            verdict.interval = current.failInterval
            verdict.samples = Int(min(recent.span.canary?.samples ?? 0, 1e15))
            verdict.note = "over \(recent.stretch)"
            if sharedIncident(metric, spans: [recent.span], alpha: recent.failShare(failAlpha)) {
                verdict.outcome = .inconclusive
                verdict.note = sharedIncidentNote
            }
        } else if estimate.leansToFail(above: above) {
            // As sure of a failure as a pass must be sure of a pass: the exposure stops widening until it is decided.
            verdict.leaning = true
            verdict.note = "leans to failure at \(Verdict.format((1 - passAlpha) * 100))% confidence: traffic holds"
        } else if let recent, let current = recentEstimate, current.leansToFail(above: above) {
            // Traffic moves forward only if the latest stretch does not point to a regression either.
            verdict.leaning = true
            verdict.value = current.value
            verdict.interval = current.passInterval
            verdict.note = "\(recent.stretch) leans to failure at \(Verdict.format((1 - passAlpha) * 100))% confidence: traffic holds"
        } else if verdict.samples < metric.minSamples {
            verdict.samplesNeeded = metric.minSamples - verdict.samples
            verdict.note = "needs \(metric.minSamples - verdict.samples) more samples (minSamples \(metric.minSamples))"
        } else if estimate.passes(above: above, zeroTolerance: !verdict.relativeToStable && condition.threshold <= 0) {
            verdict.outcome = .pass
        } else {
            verdict.samplesNeeded = samplesNeeded(estimate, samples: canary.samples, above: above)
        }
        return verdict
    }

    /// A quantile from windows too small to read it, judged by how often
    /// each window's number lay past the threshold.
    private static func judge(_ e: QuantileExceedances, _ verdict: Verdict, _ metric: MetricSpec,
                              failAlpha: Double, passAlpha: Double) -> Verdict {
        var verdict = verdict
        let k = metric.failWhen.threshold, above = metric.failWhen.comparison == .above
        let fail = e.interval(threshold: k, alpha: failAlpha), pass = e.interval(threshold: k, alpha: passAlpha)
        verdict.samples = Int(min(e.requests, 1e15))
        verdict.value = e.index(threshold: k)
        verdict.interval = pass
        verdict.favoursFailure = verdict.estimateOnGoodSide == false
        let past = verdict.relativeToStable ? "\(Verdict.format(k)) x stable's" : Verdict.format(k)
        let how = "judged by its \(Int(e.windows)) windows' quantiles, many from fewer than \(Int(ExposureSpan.minimumRequestsPerQuantile)) "
            + "requests: \(Int(e.observed)) past \(past) against \(Verdict.format(e.expected)) expected at the threshold"
        if above ? fail.lower > k : fail.upper < k {
            verdict.outcome = .fail
            verdict.interval = fail
            verdict.note = how
        } else if above ? pass.lower > k : pass.upper < k {
            verdict.leaning = true
            verdict.note = how + "; leans to failure: traffic holds"
        } else if verdict.samples < metric.minSamples {
            verdict.samplesNeeded = metric.minSamples - verdict.samples
            verdict.note = how + "; needs \(metric.minSamples - verdict.samples) more samples (minSamples \(metric.minSamples))"
        } else if above ? pass.upper < k : pass.lower > k {
            verdict.outcome = .pass
            verdict.note = how
        } else {
            verdict.note = how
        }
        return verdict
    }

    /// Whether a failure belongs to both versions (an incident in a shared
    /// dependency), so rolling the canary back would not help: stable, over
    /// the same spans, crosses the absolute threshold as surely as the
    /// canary did, and the canary is not surely worse than stable. A
    /// relative condition already compares with stable.
    private static func sharedIncident(_ metric: MetricSpec, spans: [ExposureSpan], alpha: Double) -> Bool {
        guard metric.failWhen.relativeTo == nil, let stable = MetricStatistics.pooled(spans.compactMap(\.stable)), stable.samples > 0,
              case .success(let e) = measure(stable, metric, spans: [], failAlpha: alpha, passAlpha: alpha), e.isNumber,
              e.fails(above: metric.failWhen.comparison == .above) else { return false }
        return !canaryWorse(metric, spans: spans, alpha: alpha)
    }

    /// Whether the canary is, at level α, worse than stable over the same
    /// spans: its rate higher (or lower, for `below`) by the conditional
    /// test of the rate ratio, or its mean on the bad side of stable's.
    static func canaryWorse(_ metric: MetricSpec, spans: [ExposureSpan], alpha: Double) -> Bool {
        let above = metric.failWhen.comparison == .above
        var counts: [ConfidenceSequence.SplitCounts] = []
        var difference = 0.0, variance = 0.0, weight = 0.0
        for span in spans {
            switch (span.canary, span.stable) {
            case let (.rate(ce, ct)?, .rate(se, st)?):
                counts.append(.init(canaryEvents: ce, canaryTrials: ct, stableEvents: se, stableTrials: st))
            case let (c?, s?):
                guard let cm = c.meanAndVariance, let sm = s.meanAndVariance else { continue }
                difference += cm.count * (cm.mean - sm.mean)
                variance += cm.count * cm.count * (cm.variance / cm.count + sm.variance / sm.count)
                weight += cm.count
            default: continue
            }
        }
        if !counts.isEmpty {
            guard let ratio = ConfidenceSequence.rateRatio(counts, alphas: [alpha]) else { return false }
            return (above ? ratio.logEvidenceAbove : ratio.logEvidenceBelow) >= log(1 / alpha)
        }
        guard weight > 0, variance > 0 else { return false }
        let d = difference / weight, v = variance / (weight * weight)
        let interval = ConfidenceSequence.gaussian(estimate: d, variance: v, alpha: alpha, tau: v.squareRoot())
        return above ? interval.lower > 0 : interval.upper < 0
    }

    /// Whether a stretch's estimate points to a regression: its evidence
    /// favours failure two to one, or its point estimate lies on the bad
    /// side with enough behind it to mean anything (a rate's ten events;
    /// `least` samples of anything else).
    private static func pointsToRegression(_ estimate: Estimate?, _ canary: MetricStatistics?, above: Bool, least: Double) -> Bool {
        guard let estimate else { return false }
        if estimate.favoursByEvidence == true { return true }
        guard above ? estimate.value > estimate.threshold : estimate.value < estimate.threshold, let canary else { return false }
        return enoughBehind(canary, least: least)
    }

    /// Whether a point estimate means anything: a rate's needs ten events,
    /// anything else `least` samples.
    private static func enoughBehind(_ canary: MetricStatistics, least: Double = leastLatestSamples) -> Bool {
        if case .rate(let events, _) = canary { return events >= 10 }
        return canary.samples >= max(least, 1)
    }

    /// What a mean or quantile over the last minutes needs behind it before
    /// its point estimate holds a promotion.
    static let leastLatestSamples = 50.0

    /// Whether the recent window is also judged alone for failure (it is
    /// always looked at for a lean). Not for latency against stable, judged
    /// at the current weight only already.
    private static func judgesRecentAlone(_ pooled: MetricStatistics, _ metric: MetricSpec) -> Bool {
        if case .latency = pooled, metric.failWhen.relativeTo == .stable { return false }
        return true
    }

    /// The recent window judged alone, with its own share of the failure level.
    private static func measureRecent(_ recent: RecentWindow, _ metric: MetricSpec, failAlpha: Double, passAlpha: Double) -> Estimate? {
        guard let canary = recent.span.canary, canary.samples > 0,
              case .success(let e) = measure(canary, metric, spans: [recent.span], failAlpha: recent.failShare(failAlpha), passAlpha: passAlpha),
              e.isNumber else { return nil }
        return e
    }

    /// The value compared with the threshold, and where it lies at each level.
    struct Estimate {
        var value: Double
        var threshold: Double
        var failInterval: ConfidenceSequence.Interval
        var passInterval: ConfidenceSequence.Interval
        /// Intervals of a ratio are judged on a log scale.
        var logScale = false
        /// A one-sided test's decision, where there is one (rate ratios).
        var failsByEvidence: Bool?
        /// The same test at the pass level: the evidence leans to failure.
        var leansByEvidence: Bool?
        /// The same test at two to one: the evidence favours failure.
        var favoursByEvidence: Bool?

        /// Whether everything is a number: nothing else is ever judged (nor
        /// stored, so that a status compares equal to itself).
        var isNumber: Bool {
            value.isFinite && ![failInterval.lower, failInterval.upper, passInterval.lower, passInterval.upper].contains { $0.isNaN }
        }

        func fails(above: Bool) -> Bool {
            failsByEvidence ?? (above ? failInterval.lower > threshold : failInterval.upper < threshold)
        }

        /// Whether it would fail at the pass level: sure enough of a failure
        /// to stop widening the exposure, not to roll back.
        func leansToFail(above: Bool) -> Bool {
            leansByEvidence ?? (above ? passInterval.lower > threshold : passInterval.upper < threshold)
        }

        /// `zeroTolerance`: "above: 0" on a rate, where no event yet is a pass.
        func passes(above: Bool, zeroTolerance: Bool) -> Bool {
            if zeroTolerance, above, value == 0 { return true }
            return above ? passInterval.upper < threshold : passInterval.lower > threshold
        }
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
            guard let ratio = ConfidenceSequence.rateRatio(counts, alphas: [failAlpha, passAlpha], priorRatio: k) else {
                return .failure(Undecidable(text: "no events on either version yet"))
            }
            var estimate = Estimate(value: ratio.estimate, threshold: k, failInterval: ratio.intervals[0], passInterval: ratio.intervals[1],
                                    logScale: true)
            // The failure is decided by the one-sided test, which spends all its level on the bad side.
            let against = metric.failWhen.comparison == .above ? ratio.logEvidenceAbove : ratio.logEvidenceBelow
            estimate.failsByEvidence = against >= log(1 / failAlpha)
            estimate.leansByEvidence = against >= log(1 / passAlpha)
            estimate.favoursByEvidence = against >= log(2)
            return .success(estimate)
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
        /// Whether the share at or below value i is surely not q.
        func excludes(_ i: Int) -> Bool {
            ConfidenceSequence.rateExcludes(q, events: counts[i].atOrBelow, trials: total, alpha: alpha, priorMean: q)
        }
        // The last value surely below the quantile, and the first surely at or above it.
        let lowIndex = partition(counts.count) { counts[$0].atOrBelow / total >= q || !excludes($0) } - 1
        let highIndex = partition(counts.count) { counts[$0].atOrBelow / total > q && excludes($0) }
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
        // The interval for a mean leans on the central limit theorem: not
        // before 30 requests, or 10 windows of a provider's numbers.
        var least = 30.0
        if case .windows = canary { least = 10 }
        guard let c = canary.meanAndVariance, c.count >= least else {
            return .failure(Undecidable(text: "a mean needs at least \(Int(least)) observations"))
        }
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
        if let q = metric.ingestMeasure?.quantile { return q }
        return 0.95
    }
}
