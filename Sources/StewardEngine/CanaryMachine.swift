import StewardSpec

/// The canary state machine for one rollout and one planning round.
struct CanaryMachine {
    let rollout: Rollout
    let strategy: CanaryStrategy
    let templates: [String: AnalysisTemplate]
    let evidence: Evidence
    let now: Moment
    var status: RolloutStatus
    private var actions: [Action] = []

    init(rollout: Rollout, strategy: CanaryStrategy, templates: [String: AnalysisTemplate],
         evidence: Evidence, now: Moment, status: RolloutStatus) {
        self.rollout = rollout
        self.strategy = strategy
        self.templates = templates
        self.evidence = evidence
        self.now = now
        self.status = status
    }

    private var name: String { rollout.metadata.name }

    mutating func run(observed: RolloutStatus?) -> [Action] {
        reconcileDesiredVersions()
        // Judge and walk until nothing changes, so that planning again on the
        // same input asks for nothing more (a new weight changes what there
        // is to judge; a finished step may start the next).
        for _ in 0..<(strategy.steps.count + 2) {
            guard let canary = status.canary, status.phase == .progressing || status.phase == .paused else { break }
            let before = status
            guard judge(canary: canary) else { break }
            walkSteps(canary: canary)
            if status == before { break }
        }
        if status != observed { actions.append(.writeStatus(rollout: name, status: status)) }
        return actions
    }

    // MARK: - Desired versions

    /// Follows git: a new stable or canary restarts, a removed canary
    /// returns all traffic to stable.
    private mutating func reconcileDesiredVersions() {
        if status.stable != rollout.stable {
            // A promotion commit, or a person going back to a recent stable
            // version: serve it at once, with no steps.
            actions.append(.setWeights(rollout: name, stable: rollout.stable, canary: nil, canaryWeight: 0))
            status = .settled(on: rollout.stable, at: now)
        }
        guard let canary = rollout.canary else {
            if status.canary != nil {
                if status.canaryWeight > 0 {
                    actions.append(.setWeights(rollout: name, stable: rollout.stable, canary: nil, canaryWeight: 0))
                }
                status = .settled(on: rollout.stable, at: now)
            }
            return
        }
        if status.canary != canary {
            if status.canaryWeight > 0 {
                actions.append(.setWeights(rollout: name, stable: rollout.stable, canary: nil, canaryWeight: 0))
            }
            status = .starting(canary, over: rollout.stable, at: now)
        }
    }

    // MARK: - Analysis

    /// The metrics in force now: background analysis plus the current
    /// analysis step's.
    private var metricsInForce: [MetricSpec] {
        var references = strategy.analysis.map { [$0] } ?? []
        if status.stepIndex < strategy.steps.count, case .analysis(let step) = strategy.steps[status.stepIndex].action {
            references.append(step)
        }
        var seen: Set<String> = []
        return references.flatMap(\.templates).compactMap { templates[$0] }.flatMap(\.metrics)
            .filter { seen.insert($0.name).inserted }
    }

    private var inconclusiveTimeout: Double {
        let names = (strategy.analysis?.templates ?? []) + strategy.steps.flatMap { step -> [String] in
            if case .analysis(let a) = step.action { a.templates } else { [] }
        }
        return names.compactMap { templates[$0]?.inconclusiveTimeout.seconds }.min() ?? 3600
    }

    /// Judges each new window; returns false when the rollout was rolled back.
    private mutating func judge(canary: SemanticVersion) -> Bool {
        for metric in metricsInForce {
            let measured = evidence.latest(metric: metric.name, version: canary)
            if let end = measured?.windowEnd, let last = status.lastJudged[metric.name], end <= last { continue }
            guard status.canaryWeight > 0 else {
                // No canary traffic: nothing to judge, but the window is seen,
                // so that each window counts once whatever the weight became.
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
                    rollBack(canary: canary, because: verdict)
                    return false
                }
                actions.append(.alert(rollout: name, reason: verdict.description))
                status.failures[metric.name] = 0
            }
        }
        if status.canaryWeight > 0 { trackInconclusive() }
        return true
    }

    private mutating func trackInconclusive() {
        let inconclusive = metricsInForce.filter { (status.verdicts[$0.name]?.outcome ?? .inconclusive) == .inconclusive }
        guard let first = inconclusive.first else {
            status.inconclusiveSince = nil
            return
        }
        let since = status.inconclusiveSince ?? now
        status.inconclusiveSince = since
        if now.since(since) >= inconclusiveTimeout, status.phase == .progressing {
            let reason = "analysis inconclusive for \(StewardDuration(seconds: now.since(since))): \(status.verdicts[first.name]?.description ?? "\(first.name) has no data")"
            pause(reason)
        }
    }

    /// Whether the evidence lets traffic move forward: every metric in force
    /// passed its latest window and none is counting failures.
    private var evidenceAllowsProgress: Bool {
        metricsInForce.allSatisfy { status.verdicts[$0.name]?.outcome == .pass && (status.failures[$0.name] ?? 0) == 0 }
    }

    private mutating func rollBack(canary: SemanticVersion, because verdict: Verdict) {
        actions.append(.setWeights(rollout: name, stable: status.stable, canary: canary, canaryWeight: 0))
        actions.append(.rollback(rollout: name, from: canary, to: status.stable, mode: rollout.rollbackMode, reason: verdict.description))
        status.canaryWeight = 0
        status.phase = .rolledBack
        status.pauseReason = nil
    }

    private mutating func pause(_ reason: String) {
        guard status.phase != .paused || status.pauseReason != reason else { return }
        status.phase = .paused
        status.pauseReason = reason
        actions.append(.pause(rollout: name, reason: reason))
    }

    // MARK: - Steps

    private mutating func walkSteps(canary: SemanticVersion) {
        guard status.phase == .progressing else { return }
        while status.phase == .progressing {
            guard status.stepIndex < strategy.steps.count else {
                status.phase = .promoting
                actions.append(.promote(rollout: name, version: canary, previous: status.stable))
                return
            }
            switch strategy.steps[status.stepIndex].action {
            case .setWeight(let weight):
                if weight > status.canaryWeight, status.canaryWeight > 0, !evidenceAllowsProgress {
                    checkDeadline()
                    return
                }
                if weight != status.canaryWeight {
                    status.canaryWeight = weight
                    actions.append(.setWeights(rollout: name, stable: status.stable, canary: canary, canaryWeight: weight))
                }
                nextStep()
            case .pause(let duration?):
                guard now.since(status.stepStartedAt) >= duration.seconds else { return }
                nextStep()
            case .pause(nil):
                pause("waiting for a person at step \(status.stepIndex + 1): run `steward resume \(name)`")
                return
            case .analysis(let reference):
                let names = reference.templates.compactMap { templates[$0] }.flatMap(\.metrics).map(\.name)
                guard names.allSatisfy(status.passedThisStep.contains), evidenceAllowsProgress else {
                    checkDeadline()
                    return
                }
                nextStep()
            }
        }
    }

    private mutating func nextStep() {
        status.stepIndex += 1
        status.stepStartedAt = now
        status.passedThisStep = []
    }

    private mutating func checkDeadline() {
        guard let deadline = rollout.progressDeadline, now.since(status.stepStartedAt) > deadline.seconds else { return }
        pause("progress deadline: step \(status.stepIndex + 1) has not finished in \(deadline)")
    }
}
