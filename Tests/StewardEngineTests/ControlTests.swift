import Testing
import StewardEngine
import StewardSpec

extension Scenario {
    mutating func annotate(_ control: ManualControl, _ value: String?) {
        desired.rollouts["r"]!.metadata.annotations[control.rawValue] = value
    }
}

@Suite struct ManualControlTests {
    @Test func pauseHoldsTrafficButNotRollbacks() throws {
        var s = try Scenario(baseYAML(errorRateLimit: 1) + rolloutYAML())
        s.run(minutes: 3, measure: healthy)
        s.annotate(.pause, "true")
        s.run(minutes: 60, measure: healthy)
        #expect(s.weights == [5])
        #expect(s.observed["r"]?.pauseReason == "paused by a person (steward.dev/pause)")
        // A critical failure still rolls back while paused.
        s.run(minutes: 10) { version, weight, minute in
            var m = healthy(version, weight, minute)
            if version == v110 { m[0] = measured("error-rate", version, 0.5, samples: 200) }
            return m
        }
        #expect(s.observed["r"]?.phase == .rolledBack)
    }

    @Test func removingThePauseContinues() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 3, measure: healthy)
        s.annotate(.pause, "true")
        s.run(minutes: 30, measure: healthy)
        s.annotate(.pause, nil)
        s.run(minutes: 120, measure: healthy)
        #expect(s.weights == [5, 15, 35, 100])
    }

    @Test func resumeFinishesAStepThatWaitsForAPerson() throws {
        var s = try Scenario(baseYAML() + rolloutYAML(steps: """
                    - setWeight: 10
                    - pause: {}
                    - setWeight: 50
            """))
        s.run(minutes: 30, measure: healthy)
        #expect(s.weights == [10])
        s.annotate(.resume, "2026-11-22T10:00:00Z")
        s.run(minutes: 2, measure: healthy)
        #expect(s.weights == [10, 50])
        // The same token again does nothing more.
        s.run(minutes: 30, measure: healthy)
        #expect(s.actions { if case .promote = $0 { true } else { false } }.count == 1)
    }

    @Test func promoteSkipsTheCurrentStepAndPromoteFullFinishes() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 2, measure: healthy)
        s.annotate(.promote, "1")
        // The 10-minute pause is skipped; the next weight still waits for the evidence (10 windows of latency).
        s.run(minutes: 1, measure: healthy)
        #expect(s.weights == [5])
        #expect(s.observed["r"]?.stepIndex == 2)
        s.run(minutes: 8, measure: healthy)
        #expect(s.weights == [5, 15])
        s.annotate(.promoteFull, "1")
        s.run(minutes: 1, measure: healthy)
        #expect(s.weights == [5, 15, 100])
        #expect(s.observed["r"]?.phase == .promoting)
    }

    @Test func abortThenRetry() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 15, measure: healthy)
        s.annotate(.abort, "1")
        s.run(minutes: 30, measure: healthy)
        #expect(s.observed["r"]?.phase == .aborted)
        #expect(s.weights == [5, 15])
        #expect(s.actions { $0 == .setWeights(rollout: "r", stable: v100, canary: nil, canaryWeight: 0) }.count == 1)
        #expect(s.actions { if case .rollback = $0 { true } else { false } }.isEmpty)
        s.annotate(.retry, "1")
        s.run(minutes: 2, measure: healthy)
        #expect(s.observed["r"]?.phase == .progressing)
        #expect(s.weights == [5, 15, 5])
    }

    @Test func emergencyStopSendsEverythingToStableAtOnce() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 15, measure: healthy)
        s.annotate(.emergencyStop, "true")
        let actions = s.tick()
        #expect(actions.first == .setWeights(rollout: "r", stable: v100, canary: nil, canaryWeight: 0))
        s.run(minutes: 60, measure: healthy)
        #expect(s.observed["r"]?.phase == .stopped)
        #expect(s.weights == [5, 15])
        s.annotate(.emergencyStop, nil)
        s.run(minutes: 2, measure: healthy)
        #expect(s.weights == [5, 15, 5])
    }
}

@Suite struct ChangeWindowTests {
    /// Mondays 09:00–17:00 in Berlin (UTC+1 in winter).
    let policy = changeWindowPolicy(#"{days: [mon], start: "09:00", end: "17:00", timeZone: Europe/Berlin}"#)

    @Test func noForwardTrafficOutsideAWindowButRollbacksStillHappen() throws {
        var s = try Scenario(baseYAML(errorRateLimit: 1) + rolloutYAML() + policy)
        // 2027-01-04 is a Monday; 07:00 UTC is 08:00 in Berlin: closed.
        s.now = Moment(secondsSinceEpoch: 1_799_020_800 + 7 * 3600)
        var evidence = Evidence()
        for m in healthy(v110, 5, 0) { evidence.record(m) }
        #expect(Planner.plan(desired: s.desired, observed: [:], evidence: evidence, now: s.now,
                             utcOffsets: ["Europe/Berlin": 3600]).allSatisfy { if case .setWeights = $0 { false } else { true } })
        // 08:30 UTC is 09:30 in Berlin: open.
        let open = Planner.plan(desired: s.desired, observed: [:], evidence: evidence, now: s.now + 5400,
                                utcOffsets: ["Europe/Berlin": 3600])
        #expect(open.contains(.setWeights(rollout: "r", stable: v100, canary: v110, canaryWeight: 5)))
        // An unknown zone keeps the window closed rather than open by mistake.
        #expect(Planner.plan(desired: s.desired, observed: [:], evidence: evidence, now: s.now + 5400)
            .allSatisfy { if case .setWeights = $0 { false } else { true } })
    }

    /// A freeze inside the allowed hours wins; a rollout held says, in its status, when the next window opens.
    @Test func aDenyWindowBeatsAnAllowOneAndTheWaitSaysWhenTheNextOpens() throws {
        let freeze = policy + "\n    - {days: [mon], start: \"12:00\", end: \"14:00\", timeZone: Europe/Berlin, deny: true}\n"
        var s = try Scenario(baseYAML(errorRateLimit: 1) + rolloutYAML() + freeze)
        // Monday 2027-01-04 at 11:30 UTC, 12:30 in Berlin: inside the allow window and the freeze.
        s.now = Moment(secondsSinceEpoch: 1_799_020_800 + 11 * 3600 + 1800)
        var evidence = Evidence()
        for m in healthy(v110, 5, 0) { evidence.record(m) }
        let held = Planner.plan(desired: s.desired, observed: [:], evidence: evidence, now: s.now, utcOffsets: ["Europe/Berlin": 3600])
        #expect(held.allSatisfy { if case .setWeights = $0 { false } else { true } })
        let status = held.compactMap { if case .writeStatus(_, let status) = $0 { status } else { nil } }.last
        // The freeze ends at 14:00 Berlin, 13:00 UTC.
        #expect(status?.waitingFor == "outside the policy's change windows; the next opens at 2027-01-04T13:00:00Z", "\(String(describing: status))")
        #expect(status?.transition.waitingFor == nil, "the wait is said, never committed for itself")
        let after = Planner.plan(desired: s.desired, observed: [:], evidence: evidence, now: s.now + 5400, utcOffsets: ["Europe/Berlin": 3600])
        #expect(after.contains(.setWeights(rollout: "r", stable: v100, canary: v110, canaryWeight: 5)))
    }

    @Test func momentsReadAsUTCTimes() {
        #expect(Moment(secondsSinceEpoch: 0).utcText == "1970-01-01T00:00:00Z")
        #expect(Moment(secondsSinceEpoch: 1_799_020_800 + 13 * 3600).utcText == "2027-01-04T13:00:00Z")
        #expect(Moment(secondsSinceEpoch: 951_782_400).utcText == "2000-02-29T00:00:00Z")
        #expect(Moment(secondsSinceEpoch: -1).utcText == "1969-12-31T23:59:59Z")
    }
}

@Suite struct BlueGreenTests {
    func blueGreen(autoPromote: Bool) -> String {
        baseYAML() + rolloutDocument(strategy: """
                blueGreen:
                  previewAnalysis: {templates: [checks]}
                  postPromotionAnalysis: {templates: [checks]}
                  autoPromote: \(autoPromote)
                  scaleDownDelay: 30m
            """)
    }

    @Test func previewPassesThenCutsOverThenPromotesAfterTheDelay() throws {
        var s = try Scenario(blueGreen(autoPromote: true))
        s.run(minutes: 60) { version, _, minute in healthy(version, 50, minute) }
        #expect(s.weights == [100])
        let promote = s.actions { if case .promote = $0 { true } else { false } }
        #expect(promote.count == 1)
        let cutOver = s.actions { if case .setWeights = $0 { true } else { false } }.first?.at ?? 0
        #expect((promote.first?.at ?? 0) - cutOver >= 30 * 60)
    }

    @Test func withoutAutoPromoteAPersonCutsOver() throws {
        var s = try Scenario(blueGreen(autoPromote: false))
        s.run(minutes: 20) { version, _, minute in healthy(version, 50, minute) }
        #expect(s.weights == [])
        #expect(s.observed["r"]?.pauseReason == "preview of 1.1.0 passed; run `steward promote r` to cut over")
        s.annotate(.promote, "now")
        s.run(minutes: 1) { version, _, minute in healthy(version, 50, minute) }
        #expect(s.weights == [100])
    }

    @Test func failureAfterCutOverIsAnInstantRollbackToThePreviousColour() throws {
        var s = try Scenario(blueGreen(autoPromote: true))
        s.run(minutes: 40) { version, _, minute in
            var m = healthy(version, 50, minute)
            if version == v110, minute > 20 { m[1] = measured("latency", version, 3000, samples: 1000) }
            return m
        }
        #expect(s.weights == [100, 0])
        guard case .rollback(_, let from, let to, _, let reason, _)? = s.actions({ if case .rollback = $0 { true } else { false } }).first?.action else {
            Issue.record("no rollback")
            return
        }
        #expect(from == v110 && to == v100)
        #expect(reason.hasPrefix("latency ") && reason.contains(") > 1.5 x stable (critical)"), "\(reason)")
    }
}
