import StewardSpec

/// The canary strategy: ordered steps, with analysis for the whole rollout.
struct CanaryMachine {
    var round: RolloutRound
    let strategy: CanaryStrategy

    mutating func run(observed: RolloutStatus?) -> [Action] {
        guard round.followDesiredState(), round.followManualControls() else { return round.finish(observed: observed) }
        guard round.noteGateAnswers() else { return round.finish(observed: observed) }
        if round.take(.promoteFull), let canary = round.status.canary {
            // A person's `promote --full` overrides the evidence and the steps.
            round.setCanaryWeight(100)
            round.promote(canary)
            return round.finish(observed: observed)
        }
        // `promote` finishes the current step; `resume` finishes a step that waits for a person.
        var skipStep = round.take(.promote)
        if round.resumed, round.status.stepIndex < strategy.steps.count,
           case .pause(nil) = strategy.steps[round.status.stepIndex].action {
            skipStep = true
        }
        // Judge and walk until nothing changes, so that planning again on the
        // same input asks for nothing more (a new weight changes what there
        // is to judge; a finished step may start the next).
        for pass in 0..<(strategy.steps.count + 2) {
            guard let canary = round.status.canary,
                  round.status.phase == .progressing || round.status.phase == .paused else { break }
            let before = round.status
            let metrics = round.metrics(referencesInForce)
            guard round.judge(metrics, canary: canary), round.checkTrafficHealth(canary: canary) else { break }
            round.liftDeadlineHold(allowed: pendingMove(metrics).map(mayMake) ?? true)
            if pass == 0, skipStep, round.status.phase == .progressing, round.status.stepIndex < strategy.steps.count {
                if case .setWeight(let weight) = strategy.steps[round.status.stepIndex].action { round.setCanaryWeight(weight) }
                round.nextStep()
            }
            walkSteps(canary: canary, metrics: metrics, personPromoted: pass == 0 && skipStep)
            if round.status == before { break }
        }
        return round.finish(observed: observed)
    }

    /// Background analysis plus the current analysis step's.
    private var referencesInForce: [AnalysisReference] {
        var references = strategy.analysis.map { [$0] } ?? []
        if round.status.stepIndex < strategy.steps.count, case .analysis(let step) = strategy.steps[round.status.stepIndex].action {
            references.append(step)
        }
        return references
    }

    /// A forward move the current step waits to make: to which weight, and
    /// what holds it (nothing when it may go).
    struct Move {
        var weight: Int
        var holds: [HoldCause]
    }

    /// The forward move the current step makes once the evidence allows
    /// it; nil where the step waits for nothing the evidence decides.
    private func pendingMove(_ metrics: [RolloutRound.JudgedMetric]) -> Move? {
        let status = round.status
        guard status.stepIndex < strategy.steps.count else {
            return status.canaryWeight >= 100 ? nil : Move(weight: 100, holds: round.mayPromote(metrics))
        }
        switch strategy.steps[status.stepIndex].action {
        case .setWeight(let weight):
            guard weight > status.canaryWeight else { return nil }
            // The first traffic waits for the beforeRollout gates alone.
            guard status.canaryWeight > 0 else {
                let holds = round.gateHolds(.beforeRollout)
                return holds.isEmpty ? nil : Move(weight: weight, holds: holds)
            }
            return Move(weight: weight, holds: weight >= 100 ? round.mayPromote(metrics)
                        : round.holds(movingTo: weight, metrics) + round.gateHolds(.beforeWeightIncrease))
        case .analysis(let reference):
            let next = strategy.steps[(status.stepIndex + 1)...].lazy.compactMap { step -> Int? in
                if case .setWeight(let w) = step.action { w } else { nil }
            }.first ?? 100
            var holds = round.holds(movingTo: min(next, 99), metrics)
            // The step's own gates must pass during the step, not before it.
            for name in round.metrics([reference]).filter(\.gatesProgress).map(\.name)
                where !status.passedThisStep.contains(name) && !holds.contains(where: { $0.metric == name }) {
                holds.append(.needsPass(name, "\(name) has not passed in this analysis step yet"))
            }
            return Move(weight: next, holds: holds)
        case .pause:
            return nil
        }
    }

    /// Whether the move may be made now: nothing holds it, or the step has
    /// waited long enough to widen without passes (see `widenAfter`).
    private func mayMake(_ move: Move) -> Bool {
        move.holds.isEmpty || round.mayWiden(move.holds, to: move.weight, after: strategy.widenAfter, round.metrics(referencesInForce))
    }

    /// - Parameter personPromoted: a person's `steward promote` finished the
    ///   step this round, and answers for the evidence if it was the last.
    private mutating func walkSteps(canary: SemanticVersion, metrics: [RolloutRound.JudgedMetric], personPromoted: Bool) {
        var widened = false
        while round.status.phase == .progressing {
            let move = pendingMove(metrics)
            if let move, !move.holds.isEmpty, !widened {
                // The clock opens a change window: no deadline for the evidence meanwhile.
                if move.holds.contains(where: { $0.kind == .changeWindow }) { return round.waitForChangeWindow() }
                // A gate waits for its yes with no deadline (as Flagger's confirm-promotion does), asked once nothing else holds.
                if move.holds.allSatisfy({ $0.kind == .gate }) {
                    round.askGates(move.holds)
                    return
                }
                guard mayMake(move) else {
                    round.checkDeadline(move.holds)
                    return
                }
                widened = true
                round.actions.append(.notify(rollout: round.name, message: "the evidence has not come within "
                    + "\(strategy.widenAfter.map(\.description) ?? ""): widening to \(move.weight)% while nothing leans to failure; "
                    + move.holds.map(\.text).joined(separator: "; ")))
            }
            guard round.status.stepIndex < strategy.steps.count else {
                if personPromoted || round.mayPromote(metrics).isEmpty { round.promote(canary) }
                return
            }
            switch strategy.steps[round.status.stepIndex].action {
            case .setWeight(let weight):
                if weight > round.status.canaryWeight, !round.trafficMayAdvance { return round.waitForChangeWindow() }
                round.setCanaryWeight(weight)
                round.nextStep()
                widened = false
            case .pause(let duration?):
                guard round.now.since(round.status.stepStartedAt) >= duration.seconds else { return }
                round.nextStep()
            case .pause(nil):
                round.pause(.awaitingPerson, "waiting for a person at step \(round.status.stepIndex + 1): run `steward resume \(round.name)`")
                return
            case .analysis:
                round.nextStep()
            }
        }
    }
}
