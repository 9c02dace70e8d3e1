import StewardEngine
import StewardSpec

/// The engine steering a simulated rollout as the agent would: evidence
/// pooled per span of exposure, the written status carried forward, and a
/// person who resumes a step that waits for one at once.
public struct PlannerController: RolloutController {
    public private(set) var desired: DesiredState
    public let rollout: String
    public private(set) var status: RolloutStatus?
    /// Outcomes per piece of a span (by the moment it began; as long as
    /// `RecentWindow.latestSeconds`, so the engine can ask for the last
    /// minutes too), per version.
    private var spans: [Moment: (stable: OutcomeTally, canary: OutcomeTally)] = [:]
    /// The windows of pieces already followed by another, by start.
    private var closedPieces: [Moment: (end: Moment, readings: [MetricReading])] = [:]
    /// Latency as one number per minute and version, when the world gives it so.
    private var latencyNumbers: [MetricReading] = []
    private let latencyAsNumbers: Bool
    private var resumes = 0
    public private(set) var flaps = 0
    public private(set) var history: [String] = []
    private let started: Moment?

    /// - Parameter desired: the desired state; only `rollout` is planned,
    ///   and change windows are not applied (a virtual clock has no calendar).
    /// - Parameter latencyAsNumbers: latency reaches the engine as each
    ///   minute's quantile with its request count, as from Prometheus.
    /// - Parameter tracing: from when to keep a `history` (minutes are
    ///   counted from it); nil keeps none, which is what a suite wants.
    public init(desired: DesiredState, rollout: String, latencyAsNumbers: Bool = false, tracing started: Moment? = nil) {
        self.latencyAsNumbers = latencyAsNumbers
        self.started = started
        var desired = desired
        desired.rollouts = desired.rollouts.filter { $0.key == rollout }
        desired.policies = [:]
        self.desired = desired
        self.rollout = rollout
    }

    public var canaryWeight: Int { status?.canaryWeight ?? 0 }

    public var heldAtDeadline: Bool {
        status?.phase == .paused && status?.pauseCause == .progressDeadline
    }

    public var standing: [String] {
        guard let status else { return [] }
        var lines = ["\(status.phase.rawValue) at step \(status.stepIndex + 1), canary at \(status.canaryWeight)%"]
        if let reason = status.pauseReason { lines.append("paused: \(reason)") }
        lines += status.verdicts.keys.sorted().map { "\(status.verdicts[$0]!)" }
        return lines
    }

    private var measures: [(name: String, measure: IngestMeasure)] {
        desired.rollouts[rollout].map(desired.ingestMeasures(of:)) ?? []
    }

    public mutating func minutePassed(stable: OutcomeTally?, canary: OutcomeTally?, now: Moment) -> RolloutEnd? {
        if let status, let spanStart = status.exposure.last?.at, status.canaryWeight > 0 {
            let piece = RecentWindow.latestSeconds
            let pieceStart = spanStart + (max(0, now.since(spanStart) - 60) / piece).rounded(.down) * piece
            var span = spans[pieceStart] ?? (OutcomeTally(), OutcomeTally())
            if let stable { span.stable.add(stable) }
            if let canary { span.canary.add(canary) }
            spans[pieceStart] = span
            if latencyAsNumbers, let canaryVersion = status.canary {
                recordLatencyNumbers([(status.stable, stable), (canaryVersion, canary)], now: now)
            }
        }
        let actions = Planner.plan(desired: desired, observed: status.map { [rollout: $0] } ?? [:], evidence: evidence(now), now: now)
        var end: RolloutEnd?
        if actions.contains(where: \.isPause), actions.contains(where: \.isResumeNotice) { flaps += 1 }
        for action in actions {
            switch action {
            case .writeStatus(_, let written): status = written
            case .promote: end = .promoted
            case .rollback(_, _, _, _, let reason, _): end = .rolledBack(reason: reason)
            default: break
            }
        }
        if let started { record(actions, minute: Int(now.since(started) / 60)) }
        if status?.phase == .paused, status?.pauseCause == .awaitingPerson {
            resumes += 1
            desired.rollouts[rollout]?.metadata.annotations[ManualControl.resume.rawValue] = "simulated-\(resumes)"
        }
        return end
    }

    /// The actions a person would see in the log, and the verdicts behind each move.
    private mutating func record(_ actions: [Action], minute: Int) {
        for action in actions {
            let line: String
            switch action {
            case .setWeights(_, _, _, let weight): line = "canary to \(weight)%"
            case .promote(_, let version, _, _): line = "promote \(version)"
            case .pause(_, let reason): line = "pause: \(reason)"
            case .rollback(_, _, _, _, let reason, _): line = "roll back: \(reason)"
            case .askGate(let question, _): line = "ask gate \(question.gate) (\(question.point.rawValue)) about \(question.canary)"
            case .alert(_, let reason): line = "alert: \(reason)"
            case .notify(_, let message): line = "notice: \(message)"
            case .setSplit, .writeStatus: continue
            }
            history.append("\(minute)m \(line)")
            if case .pause = action { continue }
            if case .notify = action { continue }
            history += (status?.verdicts.values.map { "      \($0)" } ?? []).sorted()
        }
    }

    /// Each piece's tallies as one pooled window per metric and version.
    private mutating func evidence(_ now: Moment) -> Evidence {
        guard let status, let canary = status.canary else { return Evidence() }
        var evidence = Evidence()
        let changes = status.exposure
        let starts = spans.keys.filter { $0 >= (changes.first?.at ?? now) }.sorted()
        for (i, start) in starts.enumerated() {
            guard let span = spans[start] else { continue }
            let nextChange = changes.first { $0.at > start }?.at
            let end = [i + 1 < starts.count ? starts[i + 1] : now, nextChange ?? now, now].min()!
            // A piece with one after it is done: its windows are made once.
            if let done = closedPieces[start], done.end == end {
                done.readings.forEach { evidence.record($0) }
                continue
            }
            var readings: [MetricReading] = []
            for (name, measure) in measures {
                if latencyAsNumbers, measure.quantile != nil { continue }
                for (version, tally) in [(status.stable, span.stable), (canary, span.canary)] {
                    guard let statistics = tally.statistics(for: measure) else { continue }
                    readings.append(MetricReading(metric: name, version: version, windowStart: start, windowEnd: end, statistics: statistics))
                }
            }
            readings.forEach { evidence.record($0) }
            if i + 1 < starts.count { closedPieces[start] = (end, readings) }
        }
        for reading in latencyNumbers where reading.windowStart >= (changes.first?.at ?? now) { evidence.record(reading) }
        return evidence
    }

    /// Each version's quantile of this minute, one window per latency metric.
    private mutating func recordLatencyNumbers(_ tallies: [(SemanticVersion, OutcomeTally?)], now: Moment) {
        for (name, measure) in measures {
            guard let q = measure.quantile else { continue }
            for case let (version, tally?) in tallies {
                guard let value = tally.latency.quantile(q) else { continue }
                latencyNumbers.append(MetricReading(metric: name, version: version, windowStart: now + -60, windowEnd: now,
                                                    value: value, samples: Int(tally.latency.count)))
            }
        }
    }
}
