import StewardSpec

/// The rollout's health checks (`healthChecks`) on the canary's traffic
/// itself: requests counted by the template's metrics that see every request
/// (the agent's own outcomes), over the current step since the weight last
/// changed. A pause they cause is lifted by the same check passing again.
extension RolloutRound {
    /// What a check found, and what the rollout says to do about it.
    struct TrafficProblem {
        var cause: PauseCause
        var action: HealthChecks.Action
        var said: String
    }

    /// Expected canary requests below this make no request at all no surprise.
    static let noTrafficExpected = 20.0
    /// A split is a mismatch only past this many requests, this far from the
    /// weight (relative to the canary's share), and this unlikely: it is looked at every round.
    static let mismatchMinimumRequests = 1_000.0
    static let mismatchRelativeGap = 0.25
    static let mismatchP = 1e-6

    /// Applies the checks; returns false when the rollout must not move this
    /// round. Requests are counted by any metric of the rollout's templates
    /// that sees every request, whichever step it belongs to.
    mutating func checkTrafficHealth(canary: SemanticVersion) -> Bool {
        let checks = rollout.healthChecks
        let problem = checks.noTraffic == .off && checks.sampleRatio == .off ? nil : trafficProblem(metrics(rollout.analysisReferences), canary: canary)
        if status.phase == .paused, let cause = status.pauseCause, cause == .noTraffic || cause == .sampleRatioMismatch {
            guard let problem, problem.cause == cause else {
                resume()
                actions.append(.notify(rollout: name, message: "the canary's traffic is as its weight says again: resuming"))
                return true
            }
            return false
        }
        if problem == nil { status.trafficWarning = nil }
        guard let problem, status.phase == .progressing else { return true }
        switch problem.action {
        case .pause:
            pause(problem.cause, problem.said)
            return false
        case .rollback:
            rollBack(canary, because: problem.said)
            return false
        case .warn:
            if status.trafficWarning != problem.cause.rawValue { actions.append(.alert(rollout: name, reason: problem.said)) }
            status.trafficWarning = problem.cause.rawValue
            return true
        case .off:
            return true
        }
    }

    /// The first problem the checks find with the canary's traffic now, if any.
    func trafficProblem(_ metrics: [JudgedMetric], canary: SemanticVersion) -> TrafficProblem? {
        let weight = status.canaryWeight, checks = rollout.healthChecks
        guard weight > 0, weight < 100, let changed = status.exposure.last?.at else { return nil }
        let since = max(changed, status.stepStartedAt)
        guard let served = served(from: since, metrics, canary: canary) else { return nil }
        let expectedShare = Double(weight) / 100
        let expectedCanary = served.stable * expectedShare / (1 - expectedShare)
        if checks.noTraffic != .off, now.since(changed) >= checks.noTrafficAfter.seconds, served.canary == 0,
           expectedCanary >= Self.noTrafficExpected {
            return TrafficProblem(cause: .noTraffic, action: checks.noTraffic,
                                  said: "no traffic: the canary served no request in \(StewardDuration(seconds: now.since(since))) at \(weight)% "
                                      + "while stable served \(Int(served.stable)); is the gateway routing by the table, and is \(canary) up?")
        }
        let total = served.canary + served.stable
        // No request at all is the check above's to judge, in its time.
        guard checks.sampleRatio != .off, served.canary > 0, served.stable > 0, total >= Self.mismatchMinimumRequests else { return nil }
        let share = served.canary / total
        let p = Statistics.sampleRatioMismatch(observed: [served.canary, served.stable], expectedShares: [Double(weight), Double(100 - weight)])
        guard p < Self.mismatchP, abs(share / expectedShare - 1) > Self.mismatchRelativeGap else { return nil }
        return TrafficProblem(cause: .sampleRatioMismatch, action: checks.sampleRatio,
                              said: "sample ratio mismatch: the canary served \(Int(served.canary)) of \(Int(total)) requests "
                                  + "(\(Int((share * 100).rounded()))%) at a weight of \(weight)% (p = \(Verdict.format(p))); "
                                  + "the gateway does not split as the table says")
    }

    /// The requests each version served since `from`, by the metric that saw the most; nil when no metric counts every request.
    private func served(from: Moment, _ metrics: [JudgedMetric], canary: SemanticVersion) -> (canary: Double, stable: Double)? {
        var most: (canary: Double, stable: Double)?
        for metric in metrics where metric.spec.ingestMeasure?.countsEveryRequest == true {
            let asRate = metric.spec.readsRates
            let canaryServed = evidence.pooled(metric: metric.name, version: canary, from: from, to: now, asRate: asRate)?.samples ?? 0
            let stableServed = evidence.pooled(metric: metric.name, version: status.stable, from: from, to: now, asRate: asRate)?.samples ?? 0
            if canaryServed + stableServed > (most.map { $0.canary + $0.stable } ?? -1) { most = (canaryServed, stableServed) }
        }
        return most
    }
}
