import StewardSpec

/// Experiments (A/B): variants share traffic until one wins on the primary
/// metric, with at least the minimum samples per variant and at the
/// configured confidence, on all the evidence since the experiment began.
/// Every variant is compared with the control (the stable version, or the
/// first variant) by an anytime-valid confidence sequence, Bonferroni-
/// corrected, so the experiment may be checked every minute. A split that
/// does not match its configuration (chi-squared, p < 0.001) invalidates it.
struct ExperimentMachine {
    var round: RolloutRound
    let strategy: ExperimentStrategy

    private var name: String { round.name }

    mutating func run(observed: RolloutStatus?) -> [Action] {
        let desiredSplit = strategy.variants.map { VariantShare(version: $0.version, percent: $0.weight) }
        guard !round.obeyEmergencyStop() else { return round.finish(observed: observed) }
        if round.status.stable != round.rollout.stable || round.status.split != desiredSplit || round.status.phase == .stopped {
            guard round.trafficMayAdvance else {
                round.waitForChangeWindow()
                return round.finish(observed: observed)
            }
            var fresh = RolloutStatus.settled(on: round.rollout.stable, at: round.now).keeping(round.status.handledControls)
            fresh.phase = .progressing
            fresh.split = desiredSplit
            round.status = fresh
            round.actions.append(.setSplit(rollout: name, shares: desiredSplit))
        }
        if round.status.phase == .progressing { judge() }
        return round.finish(observed: observed)
    }

    private var primary: RolloutRound.JudgedMetric? {
        round.metrics([strategy.analysis]).first { $0.name == strategy.primaryMetric }
    }

    private mutating func judge() {
        guard let metric = primary else { return }
        let from = round.status.stepStartedAt
        let asRate = metric.spec.readsRates
        let pooled = strategy.variants.map {
            round.evidence.pooled(metric: metric.name, version: $0.version, from: from, to: round.now, asRate: asRate)
        }
        let samples = pooled.map { $0?.samples ?? 0 }
        if strategy.sampleRatioCheck, samples.reduce(0, +) >= 100 {
            let p = Statistics.sampleRatioMismatch(observed: samples, expectedShares: strategy.variants.map { Double($0.weight) })
            if p < 0.001 {
                let observedSplit = samples.map { String(Int($0)) }.joined(separator: "/")
                let configured = strategy.variants.map { String($0.weight) }.joined(separator: "/")
                round.status.phase = .degraded
                round.status.standStill(.sampleRatioMismatch,
                                        "sample ratio mismatch: \(observedSplit) samples for a \(configured) split (p = \(format(p))); the experiment is invalid")
                round.actions.append(.pause(rollout: name, reason: round.status.pauseReason!))
                return
            }
        }
        let expired = strategy.maxDuration.map { round.now.since(from) >= $0.seconds } ?? false
        let comparisons = compare(metric, pooled)
        for comparison in comparisons { round.status.verdicts[comparison.verdict.metric] = comparison.verdict }
        let enough = samples.allSatisfy { $0 >= Double(strategy.minSamplesPerVariant) }
        guard enough, let winner = best(comparisons, lowerIsBetter: metric.spec.failWhen.comparison == .above) else {
            if expired { conclude(nil, why: "no variant beat the control before maxDuration") }
            return
        }
        conclude(winner.version, why: winner.verdict.description)
    }

    /// One variant against the control: the difference (or rate ratio) with
    /// its anytime-valid interval, and whether it is wholly on one side.
    private struct Comparison {
        var version: SemanticVersion
        var verdict: Verdict
        /// −1 wholly below the control, +1 wholly above, 0 undecided.
        var side: Int
    }

    /// Each variant against the control, on all the evidence since the
    /// experiment began, by the same confidence sequences as canary analysis
    /// (a rate ratio for rates, a difference of means otherwise), at
    /// 1 − confidence split across the comparisons: looking every minute
    /// does not make a winner of noise.
    private func compare(_ metric: RolloutRound.JudgedMetric, _ pooled: [MetricStatistics?]) -> [Comparison] {
        let controlIndex = strategy.variants.firstIndex { $0.version == round.rollout.stable } ?? 0
        let alpha = (1 - strategy.confidence) / Double(max(1, strategy.variants.count - 1))
        guard let control = pooled[controlIndex] else { return [] }
        return strategy.variants.indices.compactMap { index -> Comparison? in
            guard index != controlIndex, let variant = pooled[index] else { return nil }
            let version = strategy.variants[index].version
            var verdict = Verdict(metric: "\(metric.name) \(version) vs \(strategy.variants[controlIndex].version)",
                                  outcome: .inconclusive, severity: metric.spec.severity, threshold: 1, comparison: metric.spec.failWhen.comparison,
                                  relativeToStable: true, samples: Int(variant.samples), windowEnd: round.now)
            switch (variant, control) {
            case let (.rate(ve, vt), .rate(ce, ct)):
                let counts = ConfidenceSequence.SplitCounts(canaryEvents: ve, canaryTrials: vt, stableEvents: ce, stableTrials: ct)
                guard let ratio = ConfidenceSequence.rateRatio([counts], alphas: [alpha]) else { return nil }
                verdict.value = vt > 0 && ct > 0 && ce > 0 ? (ve / vt) / (ce / ct) : ratio.estimate
                verdict.interval = ratio.intervals[0]
            default:
                guard let v = variant.meanAndVariance, let c = control.meanAndVariance, c.mean != 0 else { return nil }
                let variance = v.variance / v.count + c.variance / c.count
                let d = ConfidenceSequence.gaussian(estimate: v.mean - c.mean, variance: variance, alpha: alpha,
                                                    tau: max(0.05 * abs(c.mean), variance.squareRoot()))
                verdict.value = v.mean / c.mean
                verdict.interval = .init(lower: 1 + d.lower / c.mean, upper: 1 + d.upper / c.mean)
            }
            guard let interval = verdict.interval else { return nil }
            let side = interval.upper < 1 ? -1 : interval.lower > 1 ? 1 : 0
            verdict.outcome = side == 0 ? .inconclusive : .pass
            verdict.note = side == 0 ? "no difference shown yet" : nil
            return Comparison(version: version, verdict: verdict, side: side)
        }
    }

    /// The variant that beat the control by the most, if any did.
    private func best(_ comparisons: [Comparison], lowerIsBetter: Bool) -> Comparison? {
        comparisons.filter { $0.side == (lowerIsBetter ? -1 : 1) }
            .min { lowerIsBetter ? ($0.verdict.value ?? 1) < ($1.verdict.value ?? 1) : ($0.verdict.value ?? 1) > ($1.verdict.value ?? 1) }
    }

    private mutating func conclude(_ winner: SemanticVersion?, why: String) {
        guard let winner, winner != round.rollout.stable else {
            round.status.phase = .healthy
            round.actions.append(.notify(rollout: name, message: "experiment over, the control \(round.rollout.stable) stays: \(why)"))
            return
        }
        switch strategy.onWinner {
        case .promote:
            // Judged again next round if the checkpoint holds it (a closed change window).
            let holds = round.mayPromote([])
            guard holds.isEmpty else {
                round.askGates(holds)
                return
            }
            round.promote(winner)
        case .report:
            round.status.phase = .healthy
            round.actions.append(.notify(rollout: name, message: "experiment winner \(winner): \(why)"))
        }
    }

    private func format(_ x: Double) -> String {
        if x != 0, abs(x) < 0.001 { return "<0.001" }
        return String((x * 1000).rounded() / 1000)
    }
}
