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

    @Test func errorSpikeAtFifteenPercentRollsBackWithinOneInterval() throws {
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
        #expect(reason == "error-rate 0.09 > 0.05 (critical), 300 samples")
        // Within one interval of the first window with enough samples at 15%.
        #expect(rollbacks[0].at - spikeStarted! <= 60)
        #expect(s.weights.last == 0)
        #expect(s.observed["r"]?.phase == .rolledBack)
        #expect(!s.weights.contains(35))
    }

    @Test func noDataHoldsTheWeightThenPausesWithTheReason() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 60) { version, weight, minute in version == v110 ? [] : healthy(version, weight, minute) }
        #expect(s.weights == [5])
        let pauses = s.actions { if case .pause = $0 { true } else { false } }
        #expect(pauses.count == 1)
        guard case .pause(_, let reason)? = pauses.first?.action else { return }
        #expect(reason.hasPrefix("analysis inconclusive for 20m"))
        #expect(s.observed["r"]?.phase == .paused)
        #expect(s.actions { if case .promote = $0 { true } else { false } }.isEmpty)
    }

    @Test func tooFewSamplesIsInconclusiveNotAPass() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 60) { version, weight, minute in
            healthy(version, weight, minute).map { var m = $0; m.samples = version == v110 ? 10 : m.samples; return m }
        }
        #expect(s.weights == [5])
        #expect(s.observed["r"]?.verdicts["error-rate"]?.outcome == .inconclusive)
    }

    @Test func flappingMetricWithConsecutiveLimitDoesNotRollBackOnIsolatedFailures() throws {
        var s = try Scenario(baseYAML(errorRateLimit: 3) + rolloutYAML())
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

    @Test func threeFailuresInARowDoRollBack() throws {
        var s = try Scenario(baseYAML(errorRateLimit: 3) + rolloutYAML())
        s.run(minutes: 60) { version, weight, minute in
            var m = healthy(version, weight, minute)
            if version == v110, (8...10).contains(minute) { m[0] = measured("error-rate", version, 0.2, samples: 100) }
            return m
        }
        let rollbacks = s.actions { if case .rollback = $0 { true } else { false } }
        #expect(rollbacks.map(\.at) == [10 * 60])
    }

    @Test func warningMetricsAlertButDoNotRollBack() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 120) { version, weight, minute in
            var m = healthy(version, weight, minute)
            if version == v110, minute == 3 { m[2] = measured("cost", version, 0.003, samples: 100) }
            return m
        }
        let alerts = s.actions { if case .alert = $0 { true } else { false } }
        #expect(alerts.count == 1)
        #expect(alerts.first?.action == .alert(rollout: "r", reason: "cost 3 x stable > 2 x stable (warning), 100 samples"))
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

    @Test func progressDeadlinePausesAStuckAnalysisStep() throws {
        var s = try Scenario(baseYAML() + rolloutYAML(steps: """
                    - setWeight: 10
                    - analysis: {templates: [checks]}
                    - setWeight: 100
            """, deadline: "  progressDeadline: 15m"))
        // Stable's latency is never measured, so the relative latency metric
        // cannot pass and the analysis step cannot finish.
        s.run(minutes: 40) { version, weight, minute in
            healthy(version, weight, minute).filter { version == v110 || $0.metric != "latency" }
        }
        let pauses = s.actions { if case .pause = $0 { true } else { false } }
        guard case .pause(_, let reason)? = pauses.first?.action else {
            Issue.record("no pause")
            return
        }
        #expect(reason == "progress deadline: step 2 has not finished in 15m")
        #expect(s.weights == [10])
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
