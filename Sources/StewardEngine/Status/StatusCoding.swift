import StewardSpec

// One shape for a rollout's status, wherever it is kept: the status file in
// git, the agent's journal and `/v1/status` all encode `RolloutStatus` by
// these conformances, so the three cannot drift apart.

/// A moment is written as seconds since the epoch.
extension Moment: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(secondsSinceEpoch: try decoder.singleValueContainer().decode(Double.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(secondsSinceEpoch)
    }
}

extension RolloutStatus.Phase: Codable {}
extension Verdict.Outcome: Codable {}
/// The confidence interval is written as `lower` and `upper`, each left out
/// when unbounded (neither YAML nor JSON here holds an infinity).
extension Verdict: Codable {
    enum CodingKeys: String, CodingKey {
        case metric, outcome, severity, comparison, threshold, relativeToStable, samples, value, lower, upper, samplesNeeded, note, leaning, favoursFailure, pastLimit, windowEnd
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let lower = try c.decodeIfPresent(Double.self, forKey: .lower), upper = try c.decodeIfPresent(Double.self, forKey: .upper)
        self.init(metric: try c.decode(String.self, forKey: .metric), outcome: try c.decode(Outcome.self, forKey: .outcome),
                  severity: try c.decode(MetricSpec.Severity.self, forKey: .severity),
                  value: try c.decodeIfPresent(Double.self, forKey: .value),
                  interval: lower == nil && upper == nil ? nil : ConfidenceSequence.Interval(lower: lower ?? -.infinity, upper: upper ?? .infinity),
                  threshold: try c.decode(Double.self, forKey: .threshold),
                  comparison: try c.decode(FailCondition.Comparison.self, forKey: .comparison),
                  relativeToStable: try c.decode(Bool.self, forKey: .relativeToStable), samples: try c.decode(Int.self, forKey: .samples),
                  samplesNeeded: try c.decodeIfPresent(Int.self, forKey: .samplesNeeded), note: try c.decodeIfPresent(String.self, forKey: .note),
                  windowEnd: try c.decodeIfPresent(Moment.self, forKey: .windowEnd))
        leaning = try c.decodeIfPresent(Bool.self, forKey: .leaning) ?? false
        favoursFailure = try c.decodeIfPresent(Bool.self, forKey: .favoursFailure) ?? false
        pastLimit = try c.decodeIfPresent(Bool.self, forKey: .pastLimit) ?? false
        guard samples >= 0, (samplesNeeded ?? 0) >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .samples, in: c, debugDescription: "sample counts cannot be negative")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(metric, forKey: .metric)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(severity, forKey: .severity)
        try c.encode(comparison, forKey: .comparison)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(relativeToStable, forKey: .relativeToStable)
        try c.encode(samples, forKey: .samples)
        try c.encodeIfPresent(value, forKey: .value)
        try c.encodeIfPresent(interval?.lower.isFinite == true ? interval?.lower : nil, forKey: .lower)
        try c.encodeIfPresent(interval?.upper.isFinite == true ? interval?.upper : nil, forKey: .upper)
        try c.encodeIfPresent(samplesNeeded, forKey: .samplesNeeded)
        try c.encodeIfPresent(note, forKey: .note)
        if leaning { try c.encode(leaning, forKey: .leaning) }
        if favoursFailure { try c.encode(favoursFailure, forKey: .favoursFailure) }
        if pastLimit { try c.encode(pastLimit, forKey: .pastLimit) }
        try c.encodeIfPresent(windowEnd, forKey: .windowEnd)
    }
}
