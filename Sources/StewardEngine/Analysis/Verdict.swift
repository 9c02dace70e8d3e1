import StewardSpec

/// The judgement of one metric on all the evidence pooled so far, with that
/// evidence, so that a commit message or a status line can say exactly why.
public struct Verdict: Sendable, Hashable, CustomStringConvertible {
    /// What the evidence showed.
    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        /// The interval lies wholly on the good side of the threshold.
        case pass
        /// The interval lies wholly on the bad side.
        case fail
        /// Not enough evidence either way (or no data, or a value that is
        /// not a number): never a pass; traffic holds.
        case inconclusive
    }

    public var metric: String
    public var outcome: Outcome
    public var severity: MetricSpec.Severity
    /// The canary's value; for a relative condition, its ratio to stable.
    public var value: Double?
    /// Where the value lies at the confidence of the decision at hand.
    public var interval: ConfidenceSequence.Interval?
    /// The threshold the value was compared with.
    public var threshold: Double
    public var comparison: FailCondition.Comparison
    public var relativeToStable: Bool
    /// The canary's samples pooled.
    public var samples: Int
    /// About how many more samples a decision needs at the current estimate, when inconclusive.
    public var samplesNeeded: Int?
    /// Why an inconclusive verdict could not be decided ("no data", …).
    public var note: String?
    /// When the verdict was reached.
    public var windowEnd: Moment?
    /// Inconclusive, but failing at the pass level: traffic must not move on.
    public var leaning = false
    /// The evidence favours a regression, by the point estimate or, for a
    /// rate ratio, by at least two to one (a handful of rare events puts
    /// the point estimate anywhere): no promotion meanwhile.
    public var favoursFailure = false
    /// The pooled estimate lies past the threshold with enough behind it
    /// (for a rate ratio, ten canary events): no promotion meanwhile, but
    /// not by itself a reason to roll back at the progress deadline.
    public var pastLimit = false

    public init(metric: String, outcome: Outcome, severity: MetricSpec.Severity, value: Double? = nil,
                interval: ConfidenceSequence.Interval? = nil, threshold: Double, comparison: FailCondition.Comparison,
                relativeToStable: Bool, samples: Int, samplesNeeded: Int? = nil, note: String? = nil, windowEnd: Moment? = nil) {
        self.metric = metric
        self.outcome = outcome
        self.severity = severity
        self.value = value
        self.interval = interval
        self.threshold = threshold
        self.comparison = comparison
        self.relativeToStable = relativeToStable
        self.samples = samples
        self.samplesNeeded = samplesNeeded
        self.note = note
        self.windowEnd = windowEnd
    }

    /// What an inconclusive verdict still does to traffic, for a person:
    /// "leaning to fail" (traffic holds), "past its limit" (no promotion).
    public var qualifier: String? {
        leaning ? "leaning to fail" : outcome == .inconclusive && pastLimit ? "past its limit" : nil
    }

    /// Whether the canary's value lies on the good side of the threshold (nil without a value).
    public var estimateOnGoodSide: Bool? {
        value.map { comparison == .above ? $0 <= threshold : $0 >= threshold }
    }

    public var description: String {
        let sign = comparison == .above ? ">" : "<"
        let bound = relativeToStable ? "\(Self.format(threshold)) x stable" : Self.format(threshold)
        let shown = value.map { relativeToStable ? "\(Self.format($0)) x stable" : Self.format($0) } ?? "?"
        let range = interval.map { " (\(Self.format($0.lower))–\(Self.format($0.upper)))" } ?? ""
        let samplesText = "\(samples) samples"
        switch outcome {
        case .inconclusive:
            let why = note ?? samplesNeeded.map { "needs about \($0) more samples" } ?? "not enough evidence"
            let measured = value == nil ? "" : " \(shown)\(range) vs \(bound)"
            return "\(metric)\(measured) inconclusive: \(why), \(samplesText)"
        case .pass, .fail:
            let verb = outcome == .fail ? sign : (comparison == .above ? "<=" : ">=")
            let context = note.map { " \($0)" } ?? ""
            return "\(metric) \(shown)\(range) \(verb) \(bound) (\(severity.rawValue)), \(samplesText)\(context)"
        }
    }

    /// Three significant decimals, no trailing zeros; ∞ for an unbounded interval.
    public static func format(_ x: Double) -> String {
        guard x.isFinite else { return x > 0 ? "∞" : "-∞" }
        if x != 0, abs(x) < 0.001 {
            var scale = 1.0
            while abs(x) * scale < 100 { scale *= 10 }
            return String((x * scale).rounded() / scale)
        }
        let rounded = (x * 1000).rounded() / 1000
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded)
    }
}
