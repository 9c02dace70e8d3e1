import StewardSpec

/// Experiments (A/B): variants share traffic until one wins on the primary
/// metric, with at least the minimum samples per variant and at the
/// configured confidence. Rates are compared with the two-proportion z-test,
/// continuous metrics with Welch's t-test (readings must carry a standard
/// deviation); every variant is compared with the control (the stable
/// version, or the first variant), Bonferroni-corrected. A split that does
/// not match its configuration (chi-squared, p < 0.001) invalidates the
/// experiment. Readings of the primary metric cover the experiment so far.
struct ExperimentMachine {
    var round: RolloutRound
    let strategy: ExperimentStrategy

    private var name: String { round.name }

    mutating func run(observed: RolloutStatus?) -> [Action] {
        let desiredSplit = strategy.variants.map { VariantShare(version: $0.version, percent: $0.weight) }
        if round.has(.emergencyStop) {
            if round.status.phase != .stopped {
                round.actions.append(.setWeights(rollout: name, stable: round.rollout.stable, canary: nil, canaryWeight: 0))
                round.status = .settled(on: round.rollout.stable, at: round.now).keeping(round.status.handledControls)
                round.status.phase = .stopped
                round.status.pauseReason = "emergency stop (\(ManualControl.emergencyStop.rawValue))"
            }
            return round.finish(observed: observed)
        }
        if round.status.stable != round.rollout.stable || round.status.split != desiredSplit || round.status.phase == .stopped {
            guard round.trafficMayAdvance else { return round.finish(observed: observed) }
            var fresh = RolloutStatus.settled(on: round.rollout.stable, at: round.now).keeping(round.status.handledControls)
            fresh.phase = .progressing
            fresh.split = desiredSplit
            round.status = fresh
            round.actions.append(.setSplit(rollout: name, shares: desiredSplit))
        }
        if round.status.phase == .progressing { judge() }
        return round.finish(observed: observed)
    }

    private var primary: MetricSpec? {
        round.metrics([strategy.analysis]).first { $0.name == strategy.primaryMetric }
    }

    private mutating func judge() {
        guard let metric = primary else { return }
        let readings = strategy.variants.map { round.evidence.latest(metric: metric.name, version: $0.version) }
        let samples = readings.map { Double($0?.samples ?? 0) }
        if strategy.sampleRatioCheck, samples.reduce(0, +) >= 100 {
            let p = Statistics.sampleRatioMismatch(observed: samples, expectedShares: strategy.variants.map { Double($0.weight) })
            if p < 0.001 {
                let observedSplit = samples.map { String(Int($0)) }.joined(separator: "/")
                let configured = strategy.variants.map { String($0.weight) }.joined(separator: "/")
                round.status.phase = .degraded
                round.status.pauseReason = "sample ratio mismatch: \(observedSplit) samples for a \(configured) split (p = \(format(p))); the experiment is invalid"
                round.actions.append(.pause(rollout: name, reason: round.status.pauseReason!))
                return
            }
        }
        let expired = strategy.maxDuration.map { round.now.since(round.status.stepStartedAt) >= $0.seconds } ?? false
        guard readings.allSatisfy({ ($0?.samples ?? 0) >= strategy.minSamplesPerVariant }),
              let winner = winner(metric, readings.map { $0! }) else {
            if expired { conclude(nil, why: "no variant beat the control before maxDuration") }
            return
        }
        conclude(winner.version, why: winner.why)
    }

    /// The best variant that is significantly better than the control.
    private func winner(_ metric: MetricSpec, _ readings: [MetricReading]) -> (version: SemanticVersion, why: String)? {
        let controlIndex = strategy.variants.firstIndex { $0.version == round.rollout.stable } ?? 0
        let control = readings[controlIndex]
        let lowerIsBetter = metric.failWhen.comparison == .above
        let alpha = (1 - strategy.confidence) / Double(max(1, readings.count - 1))
        var best: (reading: MetricReading, p: Double)?
        for (index, reading) in readings.enumerated() where index != controlIndex {
            guard let p = pValue(metric, reading, control) else { continue }
            let better = lowerIsBetter ? reading.value < control.value : reading.value > control.value
            guard better, p < alpha else { continue }
            if let current = best, lowerIsBetter ? current.reading.value <= reading.value : current.reading.value >= reading.value { continue }
            best = (reading, p)
        }
        guard let best else { return nil }
        let why = "\(metric.name) \(format(best.reading.value)) vs \(format(control.value)) for control \(control.version), p = \(format(best.p)) (\(testName(metric))), \(best.reading.samples) and \(control.samples) samples"
        return (best.reading.version, why)
    }

    private func isRate(_ metric: MetricSpec) -> Bool {
        if case .ingest(let measure) = metric.provider { return measure == .errorRate || measure == .hallucinationRate }
        return false
    }

    private func testName(_ metric: MetricSpec) -> String { isRate(metric) ? "two-proportion z-test" : "Welch's t-test" }

    private func pValue(_ metric: MetricSpec, _ a: MetricReading, _ b: MetricReading) -> Double? {
        if isRate(metric) {
            return Statistics.twoProportionZTest(successesA: a.value * Double(a.samples), trialsA: Double(a.samples),
                                                 successesB: b.value * Double(b.samples), trialsB: Double(b.samples))
        }
        guard let sdA = a.standardDeviation, let sdB = b.standardDeviation else { return nil }
        return Statistics.welchTTest(meanA: a.value, sdA: sdA, countA: Double(a.samples),
                                     meanB: b.value, sdB: sdB, countB: Double(b.samples))
    }

    private mutating func conclude(_ winner: SemanticVersion?, why: String) {
        guard let winner, winner != round.rollout.stable else {
            round.status.phase = .healthy
            round.actions.append(.notify(rollout: name, message: "experiment over, the control \(round.rollout.stable) stays: \(why)"))
            return
        }
        switch strategy.onWinner {
        case .promote:
            round.status.phase = .promoting
            round.actions.append(.promote(rollout: name, version: winner, previous: round.rollout.stable,
                                          edits: Edits.promotion(of: winner, in: round.rollout, desired: round.desired)))
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
