import StewardSpec
import StewardYAML

/// The status the agent commits as `status/<rollout>.yaml`, and reads back
/// on start, so that a restarted agent (or one on another host) resumes
/// where the last one stopped. Everything the planner needs is in it.
public enum StatusFile {
    public static let kind = "RolloutStatus"

    /// The YAML text for one rollout's status. Times are seconds since the epoch.
    public static func encode(_ status: RolloutStatus, rollout: String) -> String {
        var lines = [
            "# Written by the Steward agent; edits here are overwritten.",
            "apiVersion: \(Resource.apiVersion)",
            "kind: \(kind)",
            "metadata: {name: \(quote(rollout))}",
            "status:",
            "  phase: \(status.phase.rawValue)",
            "  stable: \(quote(status.stable.description))",
        ]
        if let canary = status.canary { lines.append("  canary: \(quote(canary.description))") }
        lines += [
            "  stepIndex: \(status.stepIndex)",
            "  canaryWeight: \(status.canaryWeight)",
            "  stepStartedAt: \(number(status.stepStartedAt.secondsSinceEpoch))",
        ]
        if let reason = status.pauseReason { lines.append("  pauseReason: \(quote(reason))") }
        if let since = status.inconclusiveSince { lines.append("  inconclusiveSince: \(number(since.secondsSinceEpoch))") }
        if !status.split.isEmpty {
            lines.append("  split:")
            lines += status.split.map { "    - {version: \(quote($0.version.description)), percent: \($0.percent)}" }
        }
        lines += map("failures", status.failures.mapValues(String.init))
        lines += map("lastJudged", status.lastJudged.mapValues { number($0.secondsSinceEpoch) })
        if !status.passedThisStep.isEmpty {
            lines.append("  passedThisStep: [\(status.passedThisStep.sorted().map(quote).joined(separator: ", "))]")
        }
        lines += map("handledControls", status.handledControls.mapValues(quote))
        if !status.exposure.isEmpty {
            lines.append("  exposure:")
            lines += status.exposure.map { "    - {weight: \($0.weight), at: \(number($0.at.secondsSinceEpoch))}" }
        }
        if !status.verdicts.isEmpty {
            lines.append("  verdicts:")
            for (name, v) in status.verdicts.sorted(by: { $0.key < $1.key }) {
                var fields = ["outcome: \(v.outcome.rawValue)", "severity: \(v.severity.rawValue)",
                              "comparison: \(v.comparison.rawValue)", "threshold: \(number(v.threshold))",
                              "relativeToStable: \(v.relativeToStable)", "samples: \(v.samples)"]
                if let value = v.value { fields.append("value: \(number(value))") }
                // An unbounded end is left out (YAML numbers here are finite).
                if let interval = v.interval {
                    if interval.lower.isFinite { fields.append("lower: \(number(interval.lower))") }
                    if interval.upper.isFinite { fields.append("upper: \(number(interval.upper))") }
                }
                if let needed = v.samplesNeeded { fields.append("samplesNeeded: \(needed)") }
                if let note = v.note { fields.append("note: \(quote(note))") }
                if v.leaning { fields.append("leaning: true") }
                if let end = v.windowEnd { fields.append("windowEnd: \(number(end.secondsSinceEpoch))") }
                lines.append("    \(quote(name)): {\(fields.joined(separator: ", "))}")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads a status file; problems are reported to `bag` with their place.
    public static func decode(_ bytes: [UInt8], file: String, bag: DiagnosticBag) -> (rollout: String, status: RolloutStatus)? {
        guard let r = NodeReader.singleDocument(bytes, file: file, bag: bag) else { return nil }
        guard let m = r.mapping(fields: ["apiVersion", "kind", "metadata", "status"]),
              m.required("kind")?.string() == kind,
              let name = m.required("metadata")?.mapping(fields: ["name"])?.required("name")?.string(),
              let s = m.required("status")?.mapping(fields: fields) else { return nil }
        let phase = s.required("phase")?.oneOf(RolloutStatus.Phase.self)
        let stable = s.required("stable")?.semanticVersion()
        guard let phase, let stable else { return nil }
        var status = RolloutStatus.settled(on: stable, at: moment(s.optional("stepStartedAt")) ?? Moment(secondsSinceEpoch: 0))
        status.phase = phase
        status.canary = s.optional("canary")?.semanticVersion()
        status.stepIndex = s.optional("stepIndex")?.int(in: 0...10_000) ?? 0
        status.canaryWeight = s.optional("canaryWeight")?.int(in: 0...100) ?? 0
        status.pauseReason = s.optional("pauseReason")?.string()
        status.inconclusiveSince = moment(s.optional("inconclusiveSince"))
        status.split = s.optional("split")?.list { item -> VariantShare? in
            guard let v = item.mapping(fields: ["version", "percent"]),
                  let version = v.required("version")?.semanticVersion(),
                  let percent = v.required("percent")?.int(in: 0...100) else { return nil }
            return VariantShare(version: version, percent: percent)
        } ?? []
        for (key, value) in s.optional("failures")?.entries() ?? [] { status.failures[key] = value.int(in: 0...Int.max) }
        for (key, value) in s.optional("lastJudged")?.entries() ?? [] { status.lastJudged[key] = moment(value) }
        status.passedThisStep = Set(s.optional("passedThisStep")?.strings() ?? [])
        for (key, value) in s.optional("handledControls")?.entries() ?? [] { status.handledControls[key] = value.string() }
        for (key, value) in s.optional("verdicts")?.entries() ?? [] { status.verdicts[key] = verdict(key, value) }
        status.exposure = s.optional("exposure")?.list { item -> WeightChange? in
            guard let e = item.mapping(fields: ["weight", "at"]),
                  let weight = e.required("weight")?.int(in: 0...100),
                  let at = moment(e.required("at")) else { return nil }
            return WeightChange(weight: weight, at: at)
        } ?? []
        return (name, status)
    }

    private static let fields = ["phase", "stable", "canary", "stepIndex", "canaryWeight", "stepStartedAt", "pauseReason",
                                 "inconclusiveSince", "split", "failures", "lastJudged", "passedThisStep", "handledControls", "verdicts", "exposure"]

    private static func verdict(_ metric: String, _ r: NodeReader) -> Verdict? {
        guard let m = r.mapping(fields: ["outcome", "severity", "comparison", "threshold", "relativeToStable", "samples", "value",
                                         "lower", "upper", "samplesNeeded", "note", "leaning", "windowEnd"]),
              let outcome = m.required("outcome")?.string().flatMap(Verdict.Outcome.init(rawValue:)),
              let severity = m.required("severity")?.oneOf(MetricSpec.Severity.self),
              let comparison = m.required("comparison")?.string().flatMap(FailCondition.Comparison.init(rawValue:)),
              let threshold = m.required("threshold")?.number(),
              let relative = m.required("relativeToStable")?.bool(),
              let samples = m.required("samples")?.int(in: 0...Int.max) else { return nil }
        let lower = m.optional("lower")?.number(), upper = m.optional("upper")?.number()
        let interval = lower == nil && upper == nil ? nil
            : ConfidenceSequence.Interval(lower: lower ?? -.infinity, upper: upper ?? .infinity)
        var verdict = Verdict(metric: metric, outcome: outcome, severity: severity, value: m.optional("value")?.number(), interval: interval,
                              threshold: threshold, comparison: comparison, relativeToStable: relative, samples: samples,
                              samplesNeeded: m.optional("samplesNeeded")?.int(in: 0...Int.max), note: m.optional("note")?.string(),
                              windowEnd: moment(m.optional("windowEnd")))
        verdict.leaning = m.optional("leaning")?.bool() ?? false
        return verdict
    }

    private static func moment(_ r: NodeReader?) -> Moment? {
        r?.number().map { Moment(secondsSinceEpoch: $0) }
    }

    private static func map(_ name: String, _ values: [String: String]) -> [String] {
        guard !values.isEmpty else { return [] }
        return ["  \(name):"] + values.sorted { $0.key < $1.key }.map { "    \(quote($0.key)): \($0.value)" }
    }

    private static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }

    /// Always double-quoted, so that no value is read as anything but text.
    private static func quote(_ text: String) -> String { ScalarWriter.doubleQuoted(text) }
}
