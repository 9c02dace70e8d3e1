import StewardSpec

/// Blue-green: the new colour is previewed with no live traffic and checked;
/// then it takes 100% at once, and the old colour stays ready for an instant
/// rollback until the scale-down delay has passed, when it is promoted.
struct BlueGreenMachine {
    var round: RolloutRound
    let strategy: BlueGreenStrategy

    /// `stepIndex` 0 is the preview, 1 the cut-over watched until the delay ends.
    mutating func run(observed: RolloutStatus?) -> [Action] {
        guard round.followDesiredState(), round.followManualControls(),
              let canary = round.status.canary else { return round.finish(observed: observed) }
        guard round.noteGateAnswers() else { return round.finish(observed: observed) }
        let promoteNow = round.take(.promote) || round.take(.promoteFull)
        if round.status.stepIndex == 0 {
            preview(canary, promoteNow: promoteNow)
        }
        if round.status.stepIndex == 1 {
            watchCutOver(canary)
        }
        return round.finish(observed: observed)
    }

    private mutating func preview(_ canary: SemanticVersion, promoteNow: Bool) {
        let references = [strategy.previewAnalysis].compactMap { $0 }
        let metrics = round.metrics(references)
        // Preview traffic (smoke tests) is measured though no users see it.
        guard round.judge(metrics, canary: canary, preview: true) else { return }
        var holds = round.holds(movingTo: 0, metrics)
        for metric in metrics where metric.gatesProgress && !round.status.passedThisStep.contains(metric.name)
            && !holds.contains(where: { $0.metric == metric.name }) {
            holds.append(.needsPass(metric.name, "\(metric.name) has not passed in this preview yet"))
        }
        let passed = holds.isEmpty
        round.liftDeadlineHold(allowed: passed)
        if round.status.phase == .paused, round.resumed || promoteNow { round.resume() }
        guard round.status.phase == .progressing else { return }
        guard passed || promoteNow else {
            round.checkDeadline(holds)
            return
        }
        guard strategy.autoPromote || promoteNow else {
            round.pause(.awaitingPerson, "preview of \(canary) passed; run `steward promote \(round.name)` to cut over")
            return
        }
        guard round.trafficMayAdvance else { return round.waitForChangeWindow() }
        round.setCanaryWeight(100)
        round.nextStep()
    }

    private mutating func watchCutOver(_ canary: SemanticVersion) {
        let references = [strategy.postPromotionAnalysis].compactMap { $0 }
        let metrics = round.metrics(references)
        guard round.judge(metrics, canary: canary) else { return }
        guard round.now.since(round.status.stepStartedAt) >= strategy.scaleDownDelay.seconds else { return }
        let holds = round.mayPromote(metrics)
        guard holds.isEmpty else {
            round.askGates(holds)
            return
        }
        round.nextStep()
        round.promote(canary)
    }
}
