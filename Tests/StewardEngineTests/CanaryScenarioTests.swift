import Testing
import StewardEngine
import StewardSpec

let v100 = SemanticVersion(1, 0, 0)
let v110 = SemanticVersion(1, 1, 0)
let v120 = SemanticVersion(1, 2, 0)

/// Healthy traffic: 1% errors, same latency and cost as stable, 20 samples per percent of traffic.
func healthy(_ version: SemanticVersion, _ weight: Int, _ minute: Int) -> [MetricReading] {
    [measured("error-rate", version, 0.01, samples: weight * 20),
     measured("latency", version, 800, samples: weight * 20),
     measured("cost", version, 0.001, samples: weight * 20)]
}

@Suite struct CanaryScenarioTests {
    @Test func healthyCanaryWalksTheStepsAndPromotes() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 120, measure: healthy)
        #expect(s.weights == [5, 15, 35, 100])
        let promotions = s.actions { if case .promote = $0 { true } else { false } }
        #expect(promotions.count == 1)
        #expect(promotions.compactMap { promoted($0.action) } == ["1.1.0 <- 1.0.0"])
        #expect(s.observed["r"]?.phase == .promoting)
        #expect(s.actions { if case .rollback = $0 { true } else { false } }.isEmpty)
        // At least the three 10-minute pauses passed before promotion.
        #expect((promotions.first?.at ?? 0) >= 30 * 60)
    }

    @Test func errorSpikeAtFifteenPercentRollsBackWithinMinutes() throws {
        var s = try Scenario(baseYAML(errorRateLimit: 1) + rolloutYAML())
        var spikeStarted: Double?
        s.run(minutes: 90) { version, weight, minute in
            var m = healthy(version, weight, minute)
            if version == v110, weight == 15 {
                if spikeStarted == nil { spikeStarted = Double(minute * 60) }
                m[0] = measured("error-rate", version, 0.09, samples: weight * 20)
            }
            return m
        }
        let rollbacks = s.actions { if case .rollback = $0 { true } else { false } }
        #expect(rollbacks.count == 1)
        guard case .rollback(_, let from, let to, let mode, let reason, _)? = rollbacks.first?.action else {
            Issue.record("no rollback")
            return
        }
        #expect(from == v110 && to == v100 && mode == .revert)
        // The reason quotes the pooled value, its interval, the threshold and the samples.
        #expect(reason.hasPrefix("error-rate 0.0"), "\(reason)")
        #expect(reason.contains("> 0.05 (critical)"), "\(reason)")
        // Judged on the recent stretch at 15% alone as well, it is not diluted by the healthy minutes at 5%.
        #expect(reason.contains(" samples over the last "), "\(reason)")
        #expect(rollbacks[0].at - spikeStarted! <= 4 * 60)
        #expect(s.weights.last == 0)
        #expect(s.observed["r"]?.phase == .rolledBack)
        #expect(!s.weights.contains(35))
    }

    @Test func noDataHoldsTheWeightAndSaysWhy() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 60) { version, weight, minute in version == v110 ? [] : healthy(version, weight, minute) }
        #expect(s.weights == [5])
        // Without a progress deadline it holds, and never calls no data a pass.
        #expect(s.actions { if case .pause = $0 { true } else { false } }.isEmpty)
        #expect(s.observed["r"]?.verdicts["error-rate"]?.outcome == .inconclusive)
        #expect(s.observed["r"]?.verdicts["error-rate"]?.note == "no data for the canary")
        #expect(s.actions { if case .promote = $0 { true } else { false } }.isEmpty)
    }

    @Test func tooFewSamplesIsInconclusiveNotAPass() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 8) { version, weight, minute in
            version == v110 ? [measured("error-rate", version, 0.0, samples: 10), measured("latency", version, 800, samples: 10)]
                : healthy(version, weight, minute)
        }
        #expect(s.weights == [5])
        let verdict = s.observed["r"]?.verdicts["error-rate"]
        #expect(verdict?.outcome == .inconclusive)
        #expect(verdict?.samples == 70)
        #expect(verdict?.samplesNeeded == 30)
    }

    @Test func isolatedBadWindowsDoNotRollBackPooledEvidence() throws {
        var s = try Scenario(baseYAML(errorRateLimit: 1) + rolloutYAML())
        s.run(minutes: 120) { version, weight, minute in
            var m = healthy(version, weight, minute)
            if version == v110, minute == 8 || minute == 25 {
                m[0] = measured("error-rate", version, 0.2, samples: max(weight * 20, 100))
            }
            return m
        }
        #expect(s.actions { if case .rollback = $0 { true } else { false } }.isEmpty)
        #expect(s.weights == [5, 15, 35, 100])
    }

    @Test func failureLimitCountsConsecutiveFailingLooks() throws {
        var s = try Scenario(baseYAML(errorRateLimit: 3) + rolloutYAML())
        s.run(minutes: 60) { version, weight, minute in
            var m = healthy(version, weight, minute)
            if version == v110, minute >= 8 { m[0] = measured("error-rate", version, 0.3, samples: 100) }
            return m
        }
        let rollbacks = s.actions { if case .rollback = $0 { true } else { false } }
        #expect(rollbacks.count == 1)
        // The first failing look, then two more a minute apart.
        #expect(s.observed["r"]?.failures["error-rate"] == 3)
        let firstFail = (8...60).first { minute in
            var probe = try! Scenario(baseYAML(errorRateLimit: 1) + rolloutYAML())
            probe.run(minutes: minute) { version, weight, m in
                var r = healthy(version, weight, m)
                if version == v110, m >= 8 { r[0] = measured("error-rate", version, 0.3, samples: 100) }
                return r
            }
            return probe.observed["r"]?.phase == .rolledBack
        }
        #expect(rollbacks.first.map { Int($0.at / 60) } == firstFail.map { $0 + 2 })
    }

    @Test func warningMetricsAlertOnceButDoNotRollBack() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 120) { version, weight, minute in
            var m = healthy(version, weight, minute)
            if version == v110 { m[2] = measured("cost", version, 0.003 + 0.0001 * Double(minute % 3), samples: weight * 20) }
            return m
        }
        let alerts = s.actions { if case .alert = $0 { true } else { false } }
        #expect(alerts.count == 1)
        guard case .alert(_, let reason)? = alerts.first?.action else { return }
        #expect(reason.hasPrefix("cost 3.") && reason.contains("> 2 x stable (warning)"), "\(reason)")
        #expect(s.weights == [5, 15, 35, 100])
    }

    @Test func indefinitePauseHoldsThroughAnyTimer() throws {
        var s = try Scenario(baseYAML() + rolloutYAML(steps: """
                    - setWeight: 10
                    - pause: {}
                    - setWeight: 100
            """))
        s.run(minutes: 600, measure: healthy)
        #expect(s.weights == [10])
        #expect(s.observed["r"]?.pauseReason == "waiting for a person at step 2: run `steward resume r`")
        #expect(s.actions { if case .pause = $0 { true } else { false } }.count == 1)
    }

    @Test func canaryChangedMidRolloutRestartsFromTheFirstStep() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 20, measure: healthy)
        #expect(s.weights == [5, 15])
        s.desired = try Scenario(baseYAML() + rolloutYAML(canary: "1.2.0")).desired
        s.run(minutes: 5, measure: healthy)
        #expect(s.observed["r"]?.canary == v120)
        let afterChange = s.timeline.filter { $0.at > 20 * 60 }.compactMap { entry -> (SemanticVersion?, Int)? in
            if case .setWeights(_, _, let canary, let w) = entry.action { (canary, w) } else { nil }
        }
        #expect(afterChange.count == 2)
        #expect(afterChange.first?.0 == nil && afterChange.first?.1 == 0)   // old canary off first
        #expect(afterChange.last?.0 == v120 && afterChange.last?.1 == 5)     // new canary from step 1
    }

    @Test func canaryRemovedFromGitReturnsAllTrafficToStable() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 25, measure: healthy)
        s.desired = try Scenario(baseYAML() + rolloutYAML(canary: nil)).desired
        let actions = s.tick()
        #expect(actions.first == .setWeights(rollout: "r", stable: v100, canary: nil, canaryWeight: 0))
        #expect(s.observed["r"]?.phase == .healthy)
        #expect(s.observed["r"]?.canary == nil)
    }

    @Test func stableChangedBackIsServedAtOnceWithoutSteps() throws {
        var s = try Scenario(baseYAML() + rolloutYAML(canary: nil))
        s.tick()
        // A person rolls back fast to the previous production version.
        s.desired = try Scenario(baseYAML() + rolloutYAML(canary: nil, stable: "0.9.0")).desired
        let actions = s.tick()
        #expect(actions.first == .setWeights(rollout: "r", stable: SemanticVersion(0, 9, 0), canary: nil, canaryWeight: 0))
        #expect(s.observed["r"]?.phase == .healthy)
        #expect(s.observed["r"]?.stable == SemanticVersion(0, 9, 0))
    }

    @Test func progressDeadlinePausesAStuckAnalysisStepUntilTheEvidenceArrives() throws {
        var s = try Scenario(baseYAML() + rolloutYAML(steps: """
                    - setWeight: 10
                    - analysis: {templates: [checks]}
                    - setWeight: 100
            """, deadline: "  progressDeadline: 15m"))
        // Stable's latency is not measured for 40 minutes, so the relative
        // latency metric cannot pass and the analysis step cannot finish.
        s.run(minutes: 40) { version, weight, minute in
            healthy(version, weight, minute).filter { version == v110 || $0.metric != "latency" }
        }
        let pauses = s.actions { if case .pause = $0 { true } else { false } }
        guard case .pause(_, let reason)? = pauses.first?.action else {
            Issue.record("no pause")
            return
        }
        #expect(reason == "progress deadline: step 2 has waited 15m for evidence: latency inconclusive: stable not measured over the same spans, 3200 samples",
                "\(reason)")
        #expect(s.weights == [10])
        #expect(s.observed["r"]?.phase == .paused)
        // Stable's latency arrives: the hold lifts by itself and the rollout finishes.
        s.run(minutes: 10, measure: healthy)
        #expect(s.weights == [10, 100])
        #expect(s.actions { if case .promote = $0 { true } else { false } }.count == 1)
    }

    @Test func progressDeadlineAbortReturnsTrafficToStable() throws {
        var s = try Scenario(baseYAML() + rolloutYAML(steps: """
                    - setWeight: 10
                    - analysis: {templates: [checks]}
                    - setWeight: 100
            """, deadline: "  progressDeadline: 15m\n  progressDeadlineAbort: true"))
        s.run(minutes: 30) { version, weight, minute in version == v110 ? [] : healthy(version, weight, minute) }
        #expect(s.weights == [10])
        #expect(s.timeline.last { if case .setWeights = $0.action { true } else { false } }?.action
                == .setWeights(rollout: "r", stable: v100, canary: nil, canaryWeight: 0))
        #expect(s.observed["r"]?.phase == .aborted)
        #expect(s.observed["r"]?.pauseReason?.hasPrefix("progress deadline: step 2 has waited 15m for evidence: error-rate inconclusive: no data") == true)
    }

    @Test func planningIsIdempotentAndConvergent() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 12, measure: healthy)
        var evidence = Evidence()
        for m in healthy(v110, 5, 12) + healthy(v100, 95, 12) { evidence.record(m) }
        let first = Planner.plan(desired: s.desired, observed: s.observed, evidence: evidence, now: s.now)
        let second = Planner.plan(desired: s.desired, observed: s.observed, evidence: evidence, now: s.now)
        #expect(first == second)
        s.tick(evidence)
        #expect(s.tick(evidence).isEmpty)
    }
}
