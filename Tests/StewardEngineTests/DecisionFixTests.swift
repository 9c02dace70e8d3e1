import Foundation
import StewardEngine
import StewardSimulation
import StewardSpec
import StewardTesting
import StewardYAML
import Testing

/// One scenario per fix of the decisions issue: each shows what the engine
/// did before (in the comment) and asserts what it does now.
@Suite struct DecisionFixTests {
    /// Before: a canary whose errors rose to 6.2% late in its last step was
    /// promoted, the pooled estimate over its healthy hours being 1–3%.
    @Test func aLateRegressionIsNotDilutedByTheHealthyHoursBeforeIt() throws {
        var s = try Scenario(baseYAML() + rolloutYAML(steps: """
                    - setWeight: 5
                    - pause: {duration: 10m}
                    - setWeight: 35
                    - pause: {duration: 2h}
                    - setWeight: 100
            """))
        s.run(minutes: 140) { version, weight, minute in
            let late = version == v110 && minute > 100
            return [measured("error-rate", version, late ? 0.062 : 0.01, samples: weight * 20),
                    measured("latency", version, 800, samples: weight * 20),
                    measured("cost", version, 0.001, samples: weight * 20)]
        }
        #expect(s.actions { if case .promote = $0 { true } else { false } }.isEmpty)
        let rollback = s.actions { if case .rollback = $0 { true } else { false } }.first
        #expect(rollback.map { $0.at <= 135 * 60 } == true)
        #expect(rollback?.action.reason?.contains("over the last") == true, "\(String(describing: rollback?.action.reason))")
    }

    /// Before: a canary whose errors rose to 6.5% in the last 25 minutes
    /// before promotion, too few requests to lean to failure yet, was
    /// promoted on its pooled 0.5% (the pooled estimate was the only one a
    /// promotion looked at). Now the latest stretch must not favour a
    /// regression either: it waits at 5% for that stretch to be decided.
    @Test func noPromotionWhileTheLatestStretchFavoursARegression() throws {
        var s = try Scenario(baseYAML() + rolloutYAML(steps: """
                    - setWeight: 5
                    - pause: {duration: 40m}
                    - setWeight: 100
            """))
        s.run(minutes: 45) { version, weight, minute in
            let late = version == v110 && minute >= 15
            return [measured("error-rate", version, late ? 0.065 : 0.005, samples: late ? 12 : 3_000),
                    measured("latency", version, 800, samples: 3_000),
                    measured("cost", version, 0.001, samples: 3_000)]
        }
        let verdict = try #require(s.observed["r"]?.verdicts["error-rate"])
        // The pooled estimate passes and the stretch does not lean to failure: neither alone would hold the promotion.
        #expect(verdict.outcome == .pass && !verdict.leaning, "\(verdict)")
        #expect(verdict.favoursFailure, "\(verdict)")
        #expect(s.actions { if case .promote = $0 { true } else { false } }.isEmpty)
        #expect(s.weights == [5])
    }

    /// Before: errors that rose to 9% four minutes before promotion were
    /// promoted, since the latest stretch of 15–30 minutes still read 2% of
    /// healthy minutes (a drawn world: hallucinations at 3.3× stable from
    /// nine minutes before promotion). Now the last five minutes' estimate,
    /// with ten events behind it, holds the promotion too; the stretch then
    /// fills with the regression and fails.
    @Test func aRegressionOfTheLastMinutesHoldsThePromotion() throws {
        var s = try Scenario(baseYAML() + rolloutYAML(steps: """
                    - setWeight: 5
                    - pause: {duration: 40m}
                    - setWeight: 100
            """))
        func minute(_ version: SemanticVersion, _ minute: Int) -> [MetricReading] {
            let late = version == v110 && minute >= 37
            return [measured("error-rate", version, late ? 0.09 : 0.01, samples: 200),
                    measured("latency", version, 800, samples: 3_000),
                    measured("cost", version, 0.001, samples: 3_000)]
        }
        s.run(minutes: 42) { version, _, at in minute(version, at) }
        let verdict = try #require(s.observed["r"]?.verdicts["error-rate"])
        // Neither the pooled estimate nor the quarter hour before would hold it.
        #expect(verdict.outcome == .pass && !verdict.leaning, "\(verdict)")
        #expect(verdict.favoursFailure, "\(verdict)")
        #expect(s.actions { if case .promote = $0 { true } else { false } }.isEmpty)
        s.run(minutes: 40) { version, _, at in minute(version, at) }
        #expect(s.actions { if case .rollback = $0 { true } else { false } }.count == 1)
    }

    /// Before: with `above: 0`, a canary at 0.3% safety violations was
    /// excused as "an incident on both versions" because stable had one
    /// background violation, and could then neither pass nor fail.
    @Test func zeroToleranceIsNotExcusedWhenTheCanaryIsSurelyWorseThanStable() throws {
        let yaml = Self.safetyTemplate(failWhen: "{above: 0}") + rolloutYAML()
        var s = try Scenario(yaml)
        s.run(minutes: 60) { version, weight, minute in
            let samples = weight * 40
            // Stable: one violation in the whole hour; the canary: 0.3%, about one every 8 minutes at 5%.
            let events = version == v110 ? (minute % 8 == 0 ? 1.0 : 0) : (minute == 3 ? 1 : 0)
            return [MetricReading(metric: "safety", version: version, windowStart: Moment(secondsSinceEpoch: 0),
                                  windowEnd: Moment(secondsSinceEpoch: 0), statistics: .rate(events: events, trials: Double(samples)))]
        }
        let rollback = s.actions { if case .rollback = $0 { true } else { false } }.first
        #expect(rollback != nil, "\(s.observed["r"]?.verdicts["safety"]?.description ?? "no verdict")")
    }

    /// Before: a safety guard whose pooled estimate stood at 2.2× stable
    /// (limit 2×) over a hundred canary events was promoted: a guard's
    /// pooled estimate held a promotion only once the evidence favoured a
    /// regression two to one, which a problem just over its limit takes
    /// hours to reach, and the last quarter hour happened to read under 2×
    /// (drawn worlds: hallucinations at 2.1× stable from the first minute,
    /// promoted on a quiet stretch). Now the pooled estimate holds it with
    /// ten events behind it, as a recent stretch's does; at the progress
    /// deadline it pauses rather than rolls back, since that alone, looked
    /// at for hours, is no proof.
    @Test func aGuardWhosePooledEstimateIsOverItsLimitHoldsThePromotion() throws {
        let yaml = Self.safetyTemplate(failWhen: "{above: 2, relativeTo: stable}", role: "guard") + rolloutYAML(steps: """
                    - setWeight: 5
                    - pause: {duration: 1h}
                    - setWeight: 35
                    - pause: {duration: 1h}
                    - setWeight: 100
            """, deadline: "  progressDeadline: 5m")
        var s = try Scenario(yaml)
        func minute(_ version: SemanticVersion, _ weight: Int, _ minute: Int) -> [MetricReading] {
            // Stable at 0.1%; the canary at 2.4 times that until minute 108, then at 1.5 times. `weight` is the version's share.
            let trials = Double(weight * 20)
            let ratio = version == v110 ? (minute < 108 ? 2.4 : 1.5) : 1
            return [MetricReading(metric: "safety", version: version, windowStart: Moment(secondsSinceEpoch: 0),
                                  windowEnd: Moment(secondsSinceEpoch: 0), statistics: .rate(events: trials * 0.001 * ratio, trials: trials))]
        }
        s.run(minutes: 124, measure: minute)
        let verdict = try #require(s.observed["r"]?.verdicts["safety"])
        #expect(verdict.outcome == .inconclusive && !verdict.leaning && (verdict.value ?? 0) > 2, "\(verdict)")
        #expect(verdict.pastLimit && !verdict.favoursFailure, "\(verdict)")
        // A restarted agent reads the hold back from the status file.
        let file = try StatusFile.encode(try #require(s.observed["r"]), rollout: "r")
        let bag = DiagnosticBag()
        #expect(StatusFile.decode(Array(file.utf8), file: "status/r.yaml", bag: bag)?.status.verdicts["safety"]?.pastLimit == true, "\(file)")
        #expect(s.actions { if case .promote = $0 { true } else { false } }.isEmpty)
        #expect(s.weights == [5, 35])
        // The step to 100% began at minute 120, so its deadline falls at minute 125.
        s.run(minutes: 3, measure: minute)
        #expect(s.observed["r"]?.pauseCause == .progressDeadline, "\(String(describing: s.observed["r"]))")
        #expect(s.actions { if case .rollback = $0 { true } else { false } }.isEmpty)
        #expect(s.weights == [5, 35])
    }

    /// The model and a template `checks` of one critical metric, `safety`, on the safety violations.
    static func safetyTemplate(failWhen: String, role: String = "gate") -> String {
        Fixtures.model() + """
            ---
            apiVersion: steward/v1
            kind: AnalysisTemplate
            metadata: {name: checks}
            spec:
              metrics:
                - name: safety
                  provider: {ingest: {measure: safetyViolations}}
                  failWhen: \(failWhen)
                  minSamples: 100
                  interval: 1m
                  severity: critical
                  role: \(role)
            """
    }

    /// Before: a quantile given per window from a handful of requests (a
    /// p95 of three requests reads low) counted like any other window, so a
    /// slow canary at low traffic could pass.
    @Test func aQuantileFromAFewRequestsIsSetAsideAndTheVerdictSaysWhy() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 40) { version, weight, minute in
            let canary = version == v110
            return [measured("error-rate", version, 0.01, samples: weight * 20),
                    measured("latency", version, canary ? 700 : 800, samples: canary ? 3 : 2000),
                    measured("cost", version, 0.001, samples: weight * 20)]
        }
        let latency = s.observed["r"]?.verdicts["latency"]
        #expect(latency?.outcome == .inconclusive)
        #expect(latency?.note?.contains("fewer than 20 requests") == true, "\(String(describing: latency))")
        #expect(s.actions { if case .promote = $0 { true } else { false } }.isEmpty)
    }

    /// Before: a canary at 5.8% errors (limit 5%) sat at its first step
    /// for hours, its interval still holding the threshold: paused at the
    /// progress deadline, neither rolled back nor promoted, to the end of
    /// the run. Now, as Flagger rolls back a canary that does not progress,
    /// a step whose evidence at the deadline still points to a regression
    /// (a critical estimate on the bad side) is rolled back; one whose
    /// evidence points nowhere pauses, as before.
    @Test func aStepStillPointingToARegressionAtItsDeadlineIsRolledBack() throws {
        let regressed = try Self.waitingAtFivePercent(canaryErrors: 0.058, minutes: 90)
        let rollback = regressed.actions { if case .rollback = $0 { true } else { false } }.first
        #expect(rollback?.action.reason?.hasPrefix("progress deadline: step 2 has waited 1h for evidence: error-rate") == true,
                "\(String(describing: rollback?.action.reason)) \(regressed.observed["r"]?.verdicts["error-rate"]?.description ?? "")")
        let healthy = try Self.waitingAtFivePercent(canaryErrors: 0.04, minutes: 70)
        #expect(healthy.actions { if case .rollback = $0 { true } else { false } }.isEmpty)
        #expect(healthy.observed["r"]?.pauseCause == .progressDeadline, "\(String(describing: healthy.observed["r"]))")
    }

    /// A canary at 5% waiting for its error-rate gate, 50 canary requests a
    /// minute at `canaryErrors`, with a progress deadline of an hour, run for `minutes`.
    static func waitingAtFivePercent(canaryErrors: Double, minutes: Int) throws -> Scenario {
        var s = try Scenario(baseYAML(errorRateLimit: 1) + rolloutYAML(steps: """
                    - setWeight: 5
                    - analysis: {templates: [checks]}
                    - setWeight: 100
            """, deadline: "  progressDeadline: 1h"))
        s.run(minutes: minutes) { version, weight, minute in
            [measured("error-rate", version, version == v110 ? canaryErrors : 0.01, samples: version == v110 ? 50 : 400),
             measured("latency", version, 800, samples: 400),
             measured("cost", version, 0.001, samples: 400)]
        }
        return s
    }

    /// Before: at 30 requests a minute a healthy canary waited at 5% for
    /// passes that take many hours to come, and was never promoted. Now a
    /// step widens after `widenAfter` while nothing leans to failure; with
    /// `widenAfter: never` it holds as before.
    @Test func lowTrafficWidensAndFinishesUnlessTheRolloutSaysNever() throws {
        let desired = try ScenarioSuiteTests.quickstart()
        let name = "customer-support-agent"
        var healthy = TrafficScenario(name: "healthy-30rpm", rollout: name, minutes: 300, requestsPerMinute: 30, seed: 7,
                                      regression: false, stable: .init(), canary: .init(), events: [])
        healthy.dailyWave = 0.2
        func promoted(_ desired: DesiredState) -> Int {
            (0..<4).filter { seed in
                var controller = PlannerController(desired: desired, rollout: name)
                return ClosedLoopSimulator.run(healthy, controller: &controller, seed: UInt64(seed)).end == .promoted
            }.count
        }
        let widening = promoted(desired)
        #expect(widening >= 3)
        var holding = desired
        guard case .canary(var strategy)? = holding.rollouts[name]?.strategy else {
            Issue.record("the quickstart's rollout is not a canary")
            return
        }
        strategy.widenAfter = nil
        holding.rollouts[name]?.strategy = .canary(strategy)
        let never = promoted(holding)
        #expect(never <= 1 && never < widening)
    }
}

@Suite struct QuantileExceedanceTests {
    @Test func theBoundaryChanceIsTheBinomialTail() {
        // The p95 of one request is that request: past the true p95 one time in twenty.
        #expect(abs(QuantileExceedances.exceedanceAtBoundary(requests: 1, q: 0.95) - 0.05) < 1e-12)
        // Of three, the slowest: past it unless all three are below, 1 − 0.95³.
        #expect(abs(QuantileExceedances.exceedanceAtBoundary(requests: 3, q: 0.95) - (1 - 0.857375)) < 1e-12)
    }

    /// Windows of two to nineteen requests drawn at random: at the true
    /// p95 the count past it matches the boundary's expectation, so neither
    /// a pass nor a failure comes of it; a canary 1.5 times slower fails.
    @Test func smallWindowsAreJudgedWithoutBias() {
        var rng = SeededRandom(seed: 11)
        let z95 = 1.6448536269514722
        func windows(slower: Double) -> QuantileExceedances {
            var e = QuantileExceedances()
            for _ in 0..<600 {
                let n = 2 + Int(rng.next() % 18)
                var latency = LatencyHistogram()
                for _ in 0..<n { latency.record(milliseconds: 800 * slower * exp(0.4 * rng.normal())) }
                e.add(value: latency.quantile(0.95)!, requests: Double(n), threshold: 800 * exp(0.4 * z95), q: 0.95)
            }
            return e
        }
        let atThreshold = windows(slower: 1)
        let interval = atThreshold.interval(threshold: 1, alpha: 0.01)
        #expect(interval.lower <= 1 && interval.upper >= 1, "\(atThreshold)")
        #expect(abs(atThreshold.observed - atThreshold.expected) < 3 * atThreshold.variance.squareRoot() + 3)
        #expect(windows(slower: 1.5).interval(threshold: 1, alpha: 0.01).lower > 1)
    }
}
