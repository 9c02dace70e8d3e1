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
