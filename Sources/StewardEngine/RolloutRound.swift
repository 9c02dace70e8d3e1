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
        if has(.emergencyStop) {
            dropCanaryTraffic()
            if status.phase != .stopped {
                status.phase = .stopped
                status.pauseReason = "emergency stop (\(ManualControl.emergencyStop.rawValue))"
                actions.append(.pause(rollout: name, reason: status.pauseReason!))
            }
            return false
        }
        if status.phase == .stopped { status = status.restarted(at: now) }
        if take(.abort), status.phase != .aborted {
            dropCanaryTraffic()
            status.phase = .aborted
            status.pauseReason = "aborted by a person (\(ManualControl.abort.rawValue))"
            actions.append(.notify(rollout: name, message: "aborted: all traffic on \(status.stable)"))
        }
        if take(.retry), status.phase == .aborted || status.phase == .rolledBack {
            status = status.restarted(at: now)
            actions.append(.notify(rollout: name, message: "retrying \(status.canary.map(String.init(describing:)) ?? "") from the first step"))
        }
        guard status.phase != .aborted, status.phase != .rolledBack, status.phase != .promoting else { return false }
        let personPause = "paused by a person (\(ManualControl.pause.rawValue))"
        if has(.pause) {
            pause(personPause)
        } else if status.pauseReason == personPause {
            resume()
        }
        if take(.resume), status.phase == .paused, status.pauseReason != personPause {
            resume()
            resumed = true
            status.inconclusiveSince = nil
            status.stepStartedAt = now
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
        actions.append(.setWeights(rollout: name, stable: status.stable, canary: canary, canaryWeight: weight))
    }

    mutating func dropCanaryTraffic() {
        guard status.canaryWeight > 0 else { return }
        status.canaryWeight = 0
        actions.append(.setWeights(rollout: name, stable: status.stable, canary: nil, canaryWeight: 0))
    }

    mutating func pause(_ reason: String) {
        guard status.phase != .paused || status.pauseReason != reason else { return }
        status.phase = .paused
        status.pauseReason = reason
        actions.append(.pause(rollout: name, reason: reason))
    }

    mutating func resume() {
        status.phase = .progressing
        status.pauseReason = nil
    }

    mutating func promote(_ canary: SemanticVersion) {
        status.phase = .promoting
        actions.append(.promote(rollout: name, version: canary, previous: status.stable,
                                edits: Edits.promotion(of: canary, in: rollout, desired: desired)))
    }

    // MARK: - Analysis

    /// The metrics of these references, each once.
    func metrics(_ references: [AnalysisReference]) -> [MetricSpec] {
        var seen: Set<String> = []
        return references.flatMap(\.templates).compactMap { templates[$0] }.flatMap(\.metrics)
            .filter { seen.insert($0.name).inserted }
    }

    /// The shortest inconclusive timeout of these references' templates.
    func inconclusiveTimeout(_ references: [AnalysisReference]) -> Double {
        references.flatMap(\.templates).compactMap { templates[$0]?.inconclusiveTimeout.seconds }.min() ?? 3600
    }

    /// Judges each window not judged before. Returns false when a critical
    /// failure rolled the canary back. Windows seen while `judging` is false
    /// (no traffic to measure) are marked seen, so each counts once.
    mutating func judge(_ metrics: [MetricSpec], canary: SemanticVersion, judging: Bool, timeout: Double) -> Bool {
        for metric in metrics {
            let measured = evidence.latest(metric: metric.name, version: canary)
            if let end = measured?.windowEnd, let last = status.lastJudged[metric.name], end <= last { continue }
            guard judging else {
                if let end = measured?.windowEnd { status.lastJudged[metric.name] = end }
                continue
            }
            if measured == nil, status.verdicts[metric.name] != nil { continue }
            let verdict = AnalysisJudge.judge(metric, canary: measured, stable: evidence.latest(metric: metric.name, version: status.stable))
            if let end = measured?.windowEnd { status.lastJudged[metric.name] = end }
            status.verdicts[metric.name] = verdict
            switch verdict.outcome {
            case .pass:
                status.passedThisStep.insert(metric.name)
                if metric.failureCounting == .consecutive { status.failures[metric.name] = 0 }
            case .inconclusive:
                break
            case .fail:
                let count = (status.failures[metric.name] ?? 0) + 1
                status.failures[metric.name] = count
                guard count >= metric.failureLimit else { continue }
                if metric.severity == .critical {
                    rollBack(canary, because: verdict.description)
                    return false
                }
                actions.append(.alert(rollout: name, reason: verdict.description))
                status.failures[metric.name] = 0
            }
        }
        if judging { trackInconclusive(metrics, timeout: timeout) }
        return true
    }

    private mutating func trackInconclusive(_ metrics: [MetricSpec], timeout: Double) {
        let inconclusive = metrics.filter { (status.verdicts[$0.name]?.outcome ?? .inconclusive) == .inconclusive }
        guard let first = inconclusive.first else {
            status.inconclusiveSince = nil
            return
        }
        let since = status.inconclusiveSince ?? now
        status.inconclusiveSince = since
        if now.since(since) >= timeout, status.phase == .progressing {
            let why = status.verdicts[first.name]?.description ?? "\(first.name) has no data"
            pause("analysis inconclusive for \(StewardDuration(seconds: now.since(since))): \(why)")
        }
    }

    /// Whether these metrics let traffic move forward: every one passed its
    /// latest window and none is counting failures.
    func evidenceAllowsProgress(_ metrics: [MetricSpec]) -> Bool {
        metrics.allSatisfy { status.verdicts[$0.name]?.outcome == .pass && (status.failures[$0.name] ?? 0) == 0 }
    }

    mutating func rollBack(_ canary: SemanticVersion, because reason: String) {
        actions.append(.setWeights(rollout: name, stable: status.stable, canary: canary, canaryWeight: 0))
        actions.append(.rollback(rollout: name, from: canary, to: status.stable, mode: rollout.rollbackMode, reason: reason,
                                 edits: Edits.clearCanary(rollout)))
        status.canaryWeight = 0
        status.phase = .rolledBack
        status.pauseReason = nil
    }

    /// Pauses when the current step has outlasted the progress deadline.
    mutating func checkDeadline() {
        guard let deadline = rollout.progressDeadline, now.since(status.stepStartedAt) > deadline.seconds else { return }
        pause("progress deadline: step \(status.stepIndex + 1) has not finished in \(deadline)")
    }

    mutating func nextStep() {
        status.stepIndex += 1
        status.stepStartedAt = now
        status.passedThisStep = []
    }

    /// The actions, with the status written when it changed.
    func finish(observed: RolloutStatus?) -> [Action] {
        status == observed ? actions : actions + [.writeStatus(rollout: name, status: status)]
    }
}

extension RolloutStatus {
    func keeping(_ handled: [String: String]) -> RolloutStatus {
        var copy = self
        copy.handledControls = handled
        return copy
    }
}
