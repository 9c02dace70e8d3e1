import StewardSpec

/// The judgement of one metric over one window, with its evidence, so that
/// a commit message or a status line can say exactly why.
public struct Verdict: Sendable, Hashable, CustomStringConvertible {
    /// What the window showed.
    public enum Outcome: String, Sendable, Hashable {
        case pass, fail
        /// Too few samples (or no data): never a pass.
        case inconclusive
    }

    public var metric: String
    public var outcome: Outcome
    public var severity: MetricSpec.Severity
    /// The canary's value; for a relative condition, its ratio to stable.
    public var value: Double?
    /// The threshold the value was compared with.
    public var threshold: Double
    public var comparison: FailCondition.Comparison
    public var relativeToStable: Bool
    public var samples: Int
    public var windowEnd: Moment?

    public var description: String {
        let sign = comparison == .above ? ">" : "<"
        let bound = relativeToStable ? "\(format(threshold)) x stable" : format(threshold)
        switch outcome {
        case .inconclusive:
            return "\(metric) inconclusive: \(samples) samples, \(relativeToStable ? "needs both versions measured" : "too few")"
        case .pass, .fail:
            let shown = value.map { relativeToStable ? "\(format($0)) x stable" : format($0) } ?? "?"
            let verb = outcome == .fail ? sign : (comparison == .above ? "<=" : ">=")
            return "\(metric) \(shown) \(verb) \(bound) (\(severity.rawValue)), \(samples) samples"
        }
    }

    private func format(_ x: Double) -> String {
        let rounded = (x * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}

/// Judges metrics: absolute thresholds, or relative to the stable version
/// measured over the same window; too few samples is inconclusive.
public enum AnalysisJudge {
    /// The verdict on `metric` for the canary's latest window; a relative
    /// condition compares it with `stable` over the same window.
    public static func judge(_ metric: MetricSpec, canary: MetricReading?, stable: MetricReading?) -> Verdict {
        let condition = metric.failWhen
        var verdict = Verdict(
            metric: metric.name, outcome: .inconclusive, severity: metric.severity, value: nil,
            threshold: condition.threshold, comparison: condition.comparison,
            relativeToStable: condition.relativeTo == .stable, samples: canary?.samples ?? 0, windowEnd: canary?.windowEnd)
        guard let canary, canary.samples >= metric.minSamples else { return verdict }
        var value = canary.value
        if verdict.relativeToStable {
            // Same window, enough samples, and a non-zero base, or no verdict.
            guard let stable, stable.windowEnd == canary.windowEnd, stable.samples >= metric.minSamples, stable.value > 0 else {
                return verdict
            }
            value = canary.value / stable.value
        }
        verdict.value = value
        let failed = condition.comparison == .above ? value > condition.threshold : value < condition.threshold
        verdict.outcome = failed ? .fail : .pass
        return verdict
    }
}
