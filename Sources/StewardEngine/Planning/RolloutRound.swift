import StewardSpec

/// One planning round of one rollout: what every strategy shares. It follows
/// git (new versions, manual controls), judges evidence, and records the
/// actions and the new status.
struct RolloutRound {
    let rollout: Rollout
    let desired: DesiredState
    var templates: [String: AnalysisTemplate] { desired.analysisTemplates }
    let evidence: Evidence
    let now: Moment
    /// False outside the policy's change windows: no traffic moves forward
    /// (rollbacks are always allowed).
    let trafficMayAdvance: Bool
    /// When the change windows next let traffic advance, while they hold it.
    let windowOpens: Moment?
    var status: RolloutStatus
    var actions: [Action] = []
    /// Whether a person resumed the rollout this round.
    private(set) var resumed = false

    var name: String { rollout.metadata.name }

    // MARK: - Following git

    /// A new stable or canary restarts; a removed canary returns all traffic
    /// to stable. Returns false when nothing more should happen this round.
    mutating func followDesiredState() -> Bool {
        if status.stable != rollout.stable {
            // A promotion commit, or a person going back to a recent stable
            // version: serve it at once, with no steps.
            actions.append(.setWeights(rollout: name, stable: rollout.stable, canary: nil, canaryWeight: 0))
            status = .settled(on: rollout.stable, at: now).keeping(status.handledControls)
        }
        guard let canary = rollout.canary else {
            if status.canary != nil {
                dropCanaryTraffic()
                status = .settled(on: rollout.stable, at: now).keeping(status.handledControls)
            }
            return false
        }
        if status.canary != canary {
            dropCanaryTraffic()
            status = RolloutStatus.starting(canary, over: rollout.stable, at: now).keeping(status.handledControls)
        }
        return true
    }

    /// Applies the manual controls; returns false when the rollout must not
    /// move this round (stopped or aborted).
    mutating func followManualControls() -> Bool {
        guard !obeyEmergencyStop() else { return false }
        if status.phase == .stopped { status = status.restarted(at: now) }
        if take(.abort), status.phase != .aborted {
            dropCanaryTraffic()
            status.phase = .aborted
            status.standStill(.abortedByPerson, "aborted by a person (\(ManualControl.abort.rawValue))")
            actions.append(.notify(rollout: name, message: "aborted: all traffic on \(status.stable)"))
        }
        if take(.retry), status.phase == .aborted || status.phase == .rolledBack {
            status = status.restarted(at: now)
            actions.append(.notify(rollout: name, message: "retrying \(status.canary.map(String.init(describing:)) ?? "") from the first step"))
        }
        guard status.phase != .aborted, status.phase != .rolledBack, status.phase != .promoting else { return false }
        if has(.pause) {
            pause(.person, "paused by a person (\(ManualControl.pause.rawValue))")
        } else if status.pauseCause == .person {
            resume()
        }
        if take(.resume), status.phase == .paused, status.pauseCause != .person {
            resume()
            resumed = true
            status.inconclusiveSince = nil
            status.stepStartedAt = now
        }
        return true
    }

    /// The emergency stop, for every strategy: while its annotation is
    /// present all traffic is on stable (an experiment's split ends too).
    /// Returns whether it is in force, when nothing else may happen.
    mutating func obeyEmergencyStop() -> Bool {
        guard has(.emergencyStop) else { return false }
        if !status.split.isEmpty {
            actions.append(.setWeights(rollout: name, stable: rollout.stable, canary: nil, canaryWeight: 0))
            status = .settled(on: rollout.stable, at: now).keeping(status.handledControls)
        }
        dropCanaryTraffic()
        if status.phase != .stopped {
            status.phase = .stopped
            status.standStill(.emergencyStop, "emergency stop (\(ManualControl.emergencyStop.rawValue))")
            actions.append(.pause(rollout: name, reason: status.pauseReason!))
        }
        return true
    }

    /// Whether a lasting control's annotation is present.
    func has(_ control: ManualControl) -> Bool {
        rollout.metadata.annotations[control.rawValue] != nil
    }

    /// Whether a one-shot control carries a token not yet acted on; marks it handled.
    mutating func take(_ control: ManualControl) -> Bool {
        guard let token = rollout.metadata.annotations[control.rawValue],
              status.handledControls[control.rawValue] != token else { return false }
        status.handledControls[control.rawValue] = token
        return true
    }

    // MARK: - Traffic

    mutating func setCanaryWeight(_ weight: Int) {
        guard weight != status.canaryWeight, let canary = status.canary else { return }
        status.canaryWeight = weight
        recordWeightChange()
        actions.append(.setWeights(rollout: name, stable: status.stable, canary: canary, canaryWeight: weight))
    }

    mutating func dropCanaryTraffic() {
        guard status.canaryWeight > 0 else { return }
        status.canaryWeight = 0
        recordWeightChange()
        actions.append(.setWeights(rollout: name, stable: status.stable, canary: nil, canaryWeight: 0))
    }

    /// Starts a new span of exposure; changes within one round make one.
    private mutating func recordWeightChange() {
        if status.exposure.last?.at == now { status.exposure.removeLast() }
        status.exposure.append(WeightChange(weight: status.canaryWeight, at: now))
    }

    mutating func pause(_ cause: PauseCause, _ reason: String) {
        guard status.phase != .paused || status.pauseReason != reason else { return }
        status.phase = .paused
        status.standStill(cause, reason)
        actions.append(.pause(rollout: name, reason: reason))
    }

    mutating func resume() {
        status.phase = .progressing
        status.standStill(nil, nil)
    }

    /// Why the change windows hold traffic, and until when.
    var changeWindowSaid: String {
        "outside the policy's change windows; the next opens at "
            + (windowOpens.map(\.utcText) ?? "no time in the coming week")
    }

    /// The rollout waits for a change window to open: said in its status (not a pause, and never committed for itself).
    mutating func waitForChangeWindow() {
        status.waitingFor = changeWindowSaid
    }

    // MARK: - The promotion checkpoint

    /// What holds a promotion of `version` now: the one checkpoint every
    /// strategy's promotion passes (gates and budgets hang here). No
    /// critical metric may hold a move to the whole traffic (see `holds`),
    /// and a promotion that moves traffic waits for the change windows.
    func mayPromote(_ metrics: [JudgedMetric]) -> [HoldCause] {
        var holds = holds(movingTo: 100, metrics)
        if !trafficMayAdvance, status.canaryWeight < 100 {
            holds.append(HoldCause(kind: .changeWindow, metric: nil, said: changeWindowSaid))
        }
        return holds + gateHolds(.beforePromotion)
    }

    /// The gates at `point` that have not said yes to this canary (at this
    /// step, for a weight increase).
    func gateHolds(_ point: GatePoint) -> [HoldCause] {
        guard let canary = status.canary else { return [] }
        return rollout.gates[point].compactMap { gate in
            let question = GateQuestion(rollout: name, gate: gate.name, point: point, canary: canary, stable: status.stable, step: status.stepIndex + 1)
            if status.gatesPassed.contains(question.passKey) { return nil }
            let answer = evidence.answer(rollout: name, gate: gate.name, point: point)
            if let answer, answer.answers(question), answer.yes { return nil }
            let said = if let answer, answer.answers(question) { "gate \(gate.name) said no: \(answer.said)" } else { "waiting for gate \(gate.name) to say yes" }
            return HoldCause(kind: .gate, metric: nil, gate: .init(gate: gate, question: question), said: said)
        }
    }

    /// Keeps each gate's yes to this canary in the status, where a restarted
    /// agent finds it (the answers themselves live in its memory), and
    /// counts its noes: a gate with a `failureLimit` that said no that many
    /// times to one question rolls the canary back, with what it said.
    /// Returns false when it did.
    mutating func noteGateAnswers() -> Bool {
        guard let canary = status.canary else { return true }
        for point in [GatePoint.beforeRollout, .beforeWeightIncrease, .beforePromotion] {
            for gate in rollout.gates[point] {
                guard let answer = evidence.answer(rollout: name, gate: gate.name, point: point),
                      answer.question.canary == canary, answer.question.rollout == name else { continue }
                let key = answer.question.passKey
                guard !answer.yes else {
                    status.gatesPassed.insert(key)
                    status.gateSaid[key] = answer.said
                    continue
                }
                // A no counts while the rollout goes on (a paused one was not asked), once per answer.
                guard status.phase == .progressing, status.gateNoes[key]?.last != answer.at else { continue }
                let noes = (status.gateNoes[key]?.count ?? 0) + 1
                status.gateNoes[key] = GateNoes(count: noes, last: answer.at)
                if let limit = gate.failureLimit, noes >= limit {
                    rollBack(canary, because: "gate \(gate.name) (\(point.rawValue)) said no \(noes) time\(noes == 1 ? "" : "s"): \(answer.said)")
                    return false
                }
            }
        }
        return true
    }

    /// Asks each gate that holds a move when nothing else does (the
    /// analysis goes on meanwhile): a gate is asked only about a move the
    /// evidence would make.
    mutating func askGates(_ holds: [HoldCause]) {
        guard !holds.isEmpty, holds.allSatisfy({ $0.kind == .gate }) else { return }
        for pending in holds.compactMap(\.gate) {
            actions.append(.askGate(question: pending.question, gate: pending.gate))
        }
    }

    /// Promotes `version`: the one place any strategy does. Callers ask
    /// `mayPromote` first, except for a person's `steward promote --full`,
    /// which overrides the evidence.
    mutating func promote(_ version: SemanticVersion) {
        status.phase = .promoting
        status.standStill(nil, nil)
        actions.append(.promote(rollout: name, version: version, previous: status.stable,
                                edits: Edits.promotion(of: version, in: rollout, desired: desired, on: now)))
    }

    // MARK: - Analysis

    /// A metric with the error levels of its decisions.
    struct JudgedMetric {
        let spec: MetricSpec
        /// Judged for failure in every round, not only at its interval:
        /// its evidence is the agent's own (ingest), so a look costs no
        /// query, and one failure decides (`failureLimit` 1), so a look
        /// more does not change what a failure means. A failure is acted on
        /// when the outcomes that show it arrive.
        var looksEarly: Bool { spec.ingestMeasure != nil && spec.failureLimit == 1 }
        /// The chance of ever failing a metric that is in truth fine: the
        /// template's 1 − confidence, split across its kind (critical or
        /// warning) among all the metrics the rollout references.
        let failAlpha: Double
        /// The chance of ever passing a metric that is in truth failing.
        let passAlpha: Double
        var name: String { spec.name }
        var isCritical: Bool { spec.severity == .critical }
        /// Whether traffic waits for it to pass.
        var gatesProgress: Bool { isCritical && spec.role == .gate }
    }

    /// The metrics of these references, each once, with their error levels.
    func metrics(_ references: [AnalysisReference]) -> [JudgedMetric] {
        let all = Self.unique(rollout.analysisReferences, templates)
        let critical = Double(max(1, all.filter { $0.spec.severity == .critical }.count))
        let warnings = Double(max(1, all.count - Int(critical)))
        return Self.unique(references, templates).map { metric, template in
            let share = metric.severity == .critical ? critical : warnings
            return JudgedMetric(spec: metric, failAlpha: (1 - template.confidence) / share, passAlpha: 1 - template.passConfidence)
        }
    }

    private static func unique(_ references: [AnalysisReference], _ templates: [String: AnalysisTemplate]) -> [(spec: MetricSpec, template: AnalysisTemplate)] {
        var seen: Set<String> = []
        return references.flatMap(\.templates).compactMap { templates[$0] }
            .flatMap { template in template.metrics.map { ($0, template) } }
            .filter { seen.insert($0.0.name).inserted }
    }

    /// Judges each metric whose interval has passed since its last look, on
    /// all the evidence since the canary's exposure began (or, in a preview,
    /// since the step began). Returns false when a critical failure rolled
    /// the canary back.
    mutating func judge(_ metrics: [JudgedMetric], canary: SemanticVersion, preview: Bool = false) -> Bool {
        let spans = preview ? [WeightChange(weight: 0, at: status.stepStartedAt)] : status.exposure
        guard preview || status.canaryWeight > 0, !spans.isEmpty else { return true }
        for metric in metrics {
            let due = status.isDue(metric.spec, at: now)
            guard due || metric.looksEarly else { continue }
            var verdict = SequentialJudge.judge(metric.spec, spans: exposureSpans(metric.spec, canary: canary, spans, preview: preview),
                                                recent: preview ? nil : recentWindow(metric.spec, canary: canary, spans),
                                                failAlpha: metric.failAlpha, passAlpha: metric.passAlpha, at: now)
            let relative = metric.spec.failWhen.relativeTo == .stable
            if let reason = evidence.unavailable(metric: metric.name, version: canary)
                ?? (relative ? evidence.unavailable(metric: metric.name, version: status.stable) : nil) {
                verdict.outcome = .inconclusive
                verdict.note = reason
            }
            // A look before the metric's interval counts only a failure: the test holds however often it is looked at.
            guard due || verdict.outcome == .fail else { continue }
            status.lastJudged[metric.name] = now
            status.verdicts[metric.name] = verdict
            switch verdict.outcome {
            case .pass:
                status.passedThisStep.insert(metric.name)
                if metric.spec.failureCounting == .consecutive { status.failures[metric.name] = 0 }
            case .inconclusive:
                break
            case .fail:
                let count = (status.failures[metric.name] ?? 0) + 1
                status.failures[metric.name] = count
                if metric.isCritical, count >= metric.spec.failureLimit {
                    rollBack(canary, because: verdict.description)
                    return false
                }
                // A warning alerts once when it reaches its limit, and again only after a pass.
                if !metric.isCritical, count == metric.spec.failureLimit {
                    actions.append(.alert(rollout: name, reason: verdict.description))
                }
            }
        }
        let waiting = metrics.contains { $0.gatesProgress && status.verdicts[$0.name]?.outcome != .pass }
        status.inconclusiveSince = waiting ? (status.inconclusiveSince ?? now) : nil
        return true
    }

    /// The evidence of each span at one weight, for both versions.
    private func exposureSpans(_ metric: MetricSpec, canary: SemanticVersion, _ changes: [WeightChange], preview: Bool) -> [ExposureSpan] {
        changes.indices.compactMap { i in
            guard preview || changes[i].weight > 0 else { return nil }
            return span(metric, canary: canary, from: changes[i].at, to: i + 1 < changes.count ? changes[i + 1].at : now)
        }
    }

    /// Both versions' evidence of `metric` from `from` to `to`.
    private func span(_ metric: MetricSpec, canary: SemanticVersion, from: Moment, to: Moment) -> ExposureSpan {
        let asRate = metric.readsRates
        let least = metric.ingestMeasure?.quantile == nil ? 0 : ExposureSpan.minimumRequestsPerQuantile
        let canarySpan = evidence.span(metric: metric.name, version: canary, from: from, to: to, asRate: asRate, minimumWindowSamples: least)
        let stableSpan = evidence.span(metric: metric.name, version: status.stable, from: from, to: to, asRate: asRate, minimumWindowSamples: least)
        var span = ExposureSpan(canary: canarySpan.statistics, stable: stableSpan.statistics, seconds: to.since(from),
                                canaryMalformed: canarySpan.latestMalformed, canaryWeakWindows: canarySpan.setAside.windows,
                                canaryWeakRequests: canarySpan.setAside.requests)
        if let q = metric.ingestMeasure?.quantile, canarySpan.setAside.windows > 0 {
            span.canaryExceedances = exceedances(metric, q: q, canary: canary, from: from, to: to)
        }
        return span
    }

    /// Each canary window's quantile against the threshold (for a relative
    /// one, times stable's quantile of the same window, when that one comes
    /// from enough requests): see `QuantileExceedances`.
    private func exceedances(_ metric: MetricSpec, q: Double, canary: SemanticVersion, from: Moment, to: Moment) -> QuantileExceedances {
        let k = metric.failWhen.threshold
        var stableAt: [Moment: Double] = [:]
        for reading in evidence.readings(metric: metric.name, version: status.stable, from: from, to: to) {
            if case .windows(1, let value, _, let n) = reading.statistics, n >= ExposureSpan.minimumRequestsPerQuantile {
                stableAt[reading.windowEnd] = value
            }
        }
        var result = QuantileExceedances()
        for reading in evidence.readings(metric: metric.name, version: canary, from: from, to: to) {
            guard case .windows(1, let value, _, let n) = reading.statistics else { continue }
            if metric.failWhen.relativeTo == .stable {
                guard let stable = stableAt[reading.windowEnd] else { continue }
                result.add(value: value, requests: n, threshold: k * stable, q: q)
            } else {
                result.add(value: value, requests: n, threshold: k, q: q)
            }
        }
        return result
    }

    /// The recent window of the current weight (see `RecentWindow`), when the canary has traffic.
    private func recentWindow(_ metric: MetricSpec, canary: SemanticVersion, _ changes: [WeightChange]) -> RecentWindow? {
        guard let current = changes.last, current.weight > 0 else { return nil }
        let piece = RecentWindow.pieceSeconds
        var index = 0
        for i in changes.indices.dropLast() where changes[i].weight > 0 {
            index += Int((changes[i + 1].at.since(changes[i].at) / piece).rounded(.up))
        }
        let back = max(0, Int(now.since(current.at) / piece) - 1)
        let from = current.at + Double(back) * piece
        let latestFrom = now + -RecentWindow.latestSeconds
        return RecentWindow(span: span(metric, canary: canary, from: from, to: now), index: index + back + 1,
                            minutes: Int((now.since(from) / 60).rounded()),
                            latest: latestFrom > from ? span(metric, canary: canary, from: latestFrom, to: now) : nil)
    }

    /// What holds a move to `weight` (a promotion when it is the whole
    /// traffic): every critical gate must have passed its latest look, no
    /// critical metric may count failures or lean to failure (a guard cannot
    /// hold traffic for want of a pass, but it does while its evidence points
    /// to a regression), and no version is promoted while a critical
    /// metric's best estimate is a regression.
    func holds(movingTo weight: Int, _ metrics: [JudgedMetric]) -> [HoldCause] {
        metrics.compactMap { metric -> HoldCause? in
            let verdict = status.verdicts[metric.name]
            let said = verdict?.description ?? "\(metric.name) has no verdict yet"
            guard metric.isCritical else { return nil }
            if (status.failures[metric.name] ?? 0) > 0 || verdict?.leaning == true { return HoldCause(kind: .failing, metric: metric.name, said: said) }
            if metric.gatesProgress, verdict?.outcome != .pass { return .needsPass(metric.name, said) }
            if weight >= 100, verdict?.favoursFailure == true || verdict?.pastLimit == true {
                return HoldCause(kind: .badEstimate, metric: metric.name, said: said)
            }
            return nil
        } + budgetHolds()
    }

    /// Whether a step that has waited `widenAfter` for passes may widen the
    /// canary to `weight` without them: only short of a promotion, and only
    /// when all that holds it is passes not yet come while every critical
    /// estimate lies on the good side (what low traffic looks like; a
    /// regression leans, fails or shows on the bad side instead). `holds`
    /// are what holds the move: a gate's, for one, is never waited out.
    func mayWiden(_ holds: [HoldCause], to weight: Int, after widenAfter: StewardDuration?, _ metrics: [JudgedMetric]) -> Bool {
        guard let widenAfter, weight < 100, now.since(status.stepStartedAt) >= widenAfter.seconds else { return false }
        // No data is not a good sign: a gate needs requests measured, and an estimate, if any, on the good side.
        return holds.allSatisfy { $0.kind == .needsPass }
            && metrics.filter(\.isCritical).allSatisfy { metric in
                guard let verdict = status.verdicts[metric.name] else { return false }
                return metric.gatesProgress ? verdict.samples > 0 && verdict.estimateOnGoodSide != false : !verdict.favoursFailure
            }
    }

    /// Lifts a pause at the progress deadline once `allowed`, the very
    /// predicate that held the move, says it may go on.
    mutating func liftDeadlineHold(allowed: Bool) {
        guard status.phase == .paused, status.pauseCause == .progressDeadline, allowed else { return }
        resume()
        actions.append(.notify(rollout: name, message: "\(Self.resumeNotice) after the progress deadline"))
    }

    mutating func rollBack(_ canary: SemanticVersion, because reason: String) {
        actions.append(.setWeights(rollout: name, stable: status.stable, canary: canary, canaryWeight: 0))
        actions.append(.rollback(rollout: name, from: canary, to: status.stable, mode: rollout.rollbackMode, reason: reason,
                                 edits: Edits.clearCanary(rollout)))
        for gate in rollout.gates.afterRollback {
            let question = GateQuestion(rollout: name, gate: gate.name, point: .afterRollback, canary: canary, stable: status.stable,
                                        step: status.stepIndex + 1, reason: reason)
            actions.append(.askGate(question: question, gate: gate))
        }
        status.canaryWeight = 0
        status.phase = .rolledBack
        status.standStill(nil, nil)
    }

    static let deadlinePrefix = "progress deadline"
    static let resumeNotice = "evidence arrived: resuming"

    /// At the progress deadline, rolls back a step whose evidence still
    /// points to a regression (a critical metric leaning to failure, or its
    /// estimate on the bad side), as Flagger does a canary that does not
    /// progress: waiting on would only serve it longer. Otherwise pauses (or
    /// aborts, where the rollout says so) and says what the evidence still
    /// needs; the pause lifts by itself when the evidence arrives.
    mutating func checkDeadline(_ holds: [HoldCause]) {
        guard let deadline = rollout.progressDeadline, now.since(status.stepStartedAt) > deadline.seconds,
              status.phase == .progressing else { return }
        let why = holds.isEmpty ? "" : ": " + holds.map(\.text).joined(separator: "; ")
        let reason = "\(Self.deadlinePrefix): step \(status.stepIndex + 1) has waited \(deadline) for evidence\(why)"
        if let canary = status.canary, holds.contains(where: pointsToRegression) {
            rollBack(canary, because: reason)
            return
        }
        guard rollout.progressDeadlineAbort else {
            pause(.progressDeadline, reason)
            return
        }
        dropCanaryTraffic()
        status.phase = .aborted
        status.standStill(.progressDeadline, reason)
        actions.append(.notify(rollout: name, message: "aborted: \(reason)"))
    }

    /// Whether what holds a move points to a regression: a metric failing
    /// or leaning to failure, or its estimate on the bad side.
    private func pointsToRegression(_ hold: HoldCause) -> Bool {
        hold.kind == .failing || hold.metric.flatMap { status.verdicts[$0] }?.favoursFailure == true
    }

    mutating func nextStep() {
        status.stepIndex += 1
        status.stepStartedAt = now
        status.passedThisStep = []
    }

    /// The actions, with the budgets noted and the status written when it changed.
    mutating func finish(observed: RolloutStatus?) -> [Action] {
        noteBudgets()
        return status == observed ? actions : actions + [.writeStatus(rollout: name, status: status)]
    }
}

extension RolloutStatus {
    func keeping(_ handled: [String: String]) -> RolloutStatus {
        var copy = self
        copy.handledControls = handled
        return copy
    }
}
