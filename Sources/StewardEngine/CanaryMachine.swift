import StewardSpec

/// The canary strategy: ordered steps, with analysis for the whole rollout.
struct CanaryMachine {
    var round: RolloutRound
    let strategy: CanaryStrategy

    mutating func run(observed: RolloutStatus?) -> [Action] {
        guard round.followDesiredState(), round.followManualControls() else { return round.finish(observed: observed) }
        if round.take(.promoteFull), let canary = round.status.canary {
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
            guard round.judge(metrics, canary: canary) else { break }
            round.liftDeadlineHold(metrics)
            if pass == 0, skipStep, round.status.phase == .progressing, round.status.stepIndex < strategy.steps.count {
                if case .setWeight(let weight) = strategy.steps[round.status.stepIndex].action { round.setCanaryWeight(weight) }
                round.nextStep()
            }
            walkSteps(canary: canary, metrics: metrics)
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

    private mutating func walkSteps(canary: SemanticVersion, metrics: [RolloutRound.JudgedMetric]) {
        while round.status.phase == .progressing {
            guard round.status.stepIndex < strategy.steps.count else {
                guard round.trafficMayAdvance else { return }
                guard round.status.canaryWeight >= 100 || round.evidenceAllows(movingTo: 100, metrics) else {
                    round.checkDeadline(metrics)
                    return
                }
                round.promote(canary)
                return
            }
            switch strategy.steps[round.status.stepIndex].action {
            case .setWeight(let weight):
                let forward = weight > round.status.canaryWeight
                if forward, !round.trafficMayAdvance { return }
                if forward, round.status.canaryWeight > 0, !round.evidenceAllows(movingTo: weight, metrics) {
                    round.checkDeadline(metrics)
                    return
                }
                round.setCanaryWeight(weight)
                round.nextStep()
            case .pause(let duration?):
                guard round.now.since(round.status.stepStartedAt) >= duration.seconds else { return }
                round.nextStep()
            case .pause(nil):
                round.pause("waiting for a person at step \(round.status.stepIndex + 1): run `steward resume \(round.name)`")
                return
            case .analysis(let reference):
                let names = round.metrics([reference]).filter(\.gatesProgress).map(\.name)
                guard names.allSatisfy(round.status.passedThisStep.contains), round.evidenceAllowsProgress(metrics) else {
                    round.checkDeadline(metrics)
                    return
                }
                round.nextStep()
            }
        }
    }
}
