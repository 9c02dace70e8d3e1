import Testing
import StewardEngine
import StewardSpec
import StewardYAML

@Suite struct StatusFileTests {
    @Test func statusSurvivesARoundTripAtEveryMoment() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        for _ in 0..<12 {
            s.run(minutes: 5) { version, weight, minute in
                var m = healthy(version, weight, minute)
                if version == v110, minute % 7 == 0 { m[0] = measured("error-rate", version, 0.2, samples: 500) }
                return m
            }
            let status = try #require(s.observed["r"])
            let text = try StatusFile.encode(status, rollout: "r")
            let bag = DiagnosticBag()
            let decoded = StatusFile.decode(Array(text.utf8), file: "status/r.yaml", bag: bag)
            #expect(bag.diagnostics.isEmpty, "\(bag.diagnostics)")
            #expect(decoded?.rollout == "r")
            #expect(decoded?.status == status, "\(text)")
        }
    }

    @Test func aResumedAgentContinuesFromTheFile() throws {
        var s = try Scenario(baseYAML() + rolloutYAML())
        s.run(minutes: 15, measure: healthy)
        // A new agent reads the status back and carries on.
        let bag = DiagnosticBag()
        let restored = try #require(StatusFile.decode(Array(try StatusFile.encode(s.observed["r"]!, rollout: "r").utf8), file: "s.yaml", bag: bag))
        s.observed = [restored.rollout: restored.status]
        s.run(minutes: 120, measure: healthy)
        #expect(s.weights == [5, 15, 35, 100])
    }

    /// The cause of a pause is written beside its reason, and read back from
    /// the reason of a file written before causes were: a restarted agent
    /// still knows a deadline hold from a person's pause without parsing prose.
    @Test func aPauseKeepsItsCauseAcrossTheFileOldAndNew() throws {
        var s = try Scenario(baseYAML() + rolloutYAML(deadline: "  progressDeadline: 15m"))
        s.run(minutes: 30) { version, weight, minute in version == v110 ? [] : healthy(version, weight, minute) }
        let paused = try #require(s.observed["r"])
        #expect(paused.pauseCause == .progressDeadline)
        let text = try StatusFile.encode(paused, rollout: "r")
        #expect(text.contains("pauseCause: \"progressDeadline\""), "\(text)")
        let older = text.split(separator: "\n").filter { !$0.contains("pauseCause") }.joined(separator: "\n")
        let bag = DiagnosticBag()
        let decoded = try #require(StatusFile.decode(Array(older.utf8), file: "status/r.yaml", bag: bag))
        #expect(decoded.status.pauseCause == .progressDeadline)
        // And the hold lifts from the old file once the evidence comes.
        s.observed = [decoded.rollout: decoded.status]
        s.run(minutes: 10, measure: healthy)
        #expect(s.observed["r"]?.phase == .progressing)
        #expect(s.observed["r"]?.pauseCause == nil)
        #expect(s.weights.last == 15)
        for (reason, cause) in [("waiting for a person at step 3: run `steward resume r`", PauseCause.awaitingPerson),
                                ("paused by a person (steward.dev/pause)", .person), ("emergency stop (steward.dev/stop)", .emergencyStop),
                                ("something else", nil)] as [(String, PauseCause?)] {
            let file = "apiVersion: steward/v1\nkind: RolloutStatus\nmetadata: {name: r}\nstatus:\n  phase: paused\n  stable: 1.0.0\n"
                + "  pauseReason: \"\(reason)\"\n"
            #expect(StatusFile.decode(Array(file.utf8), file: "s.yaml", bag: DiagnosticBag())?.status.pauseCause == cause, "\(reason)")
        }
    }

    @Test func badStatusFilesSayWhere() {
        let bag = DiagnosticBag()
        let text = "apiVersion: steward/v1\nkind: RolloutStatus\nmetadata: {name: r}\nstatus:\n  phase: flying\n  stable: 1.0.0\n"
        #expect(StatusFile.decode(Array(text.utf8), file: "status/r.yaml", bag: bag) == nil)
        #expect(bag.diagnostics.map(\.description) == [
            "status/r.yaml:5:10: error: phase: 'flying' is not one of progressing, paused, promoting, healthy, degraded, rolledBack, aborted, stopped",
        ])
    }

    /// Before: a stepIndex of Int.max passed and `plan` and `status` trapped (exit 132) adding one to show it.
    @Test func aStepIndexPastAnyRolloutIsRefusedNotATrap() {
        let bag = DiagnosticBag()
        let text = "apiVersion: steward/v1\nkind: RolloutStatus\nmetadata: {name: r}\nstatus:\n  phase: progressing\n  stable: 1.0.0\n"
            + "  stepIndex: \(Int.max)\n"
        #expect(StatusFile.decode(Array(text.utf8), file: "status/r.yaml", bag: bag) == nil)
        #expect(bag.diagnostics.first?.description.contains("stepIndex must be from 0 to 100000") == true, "\(bag.diagnostics)")
    }
}
