import Testing
import StewardEngine
import StewardSpec

/// `gates.beforePromotion`: the promotion waits for each gate's yes to this
/// canary, and the gate is asked only once nothing else holds it.
@Suite struct GateTests {
    static let yaml = baseYAML() + rolloutDocument(extra: """
          gates:
            beforePromotion:
              - {name: evals, url: "http://127.0.0.1:9/evals", timeout: 5s}
        """, strategy: """
            canary:
              analysis: {templates: [checks]}
              steps:
                - setWeight: 20
                - pause: {duration: 5m}
                - setWeight: 100
        """)

    static func healthy(_ version: SemanticVersion, _ weight: Int, _ minute: Int) -> [MetricReading] {
        [measured("error-rate", version, 0.005, samples: 2_000), measured("latency", version, 800, samples: 2_000),
         measured("cost", version, 0.001, samples: 2_000)]
    }

    func asks(_ s: Scenario) -> [(at: Double, action: Action)] {
        s.actions { if case .askGate = $0 { true } else { false } }
    }

    func promotions(_ s: Scenario) -> Int {
        s.actions { if case .promote = $0 { true } else { false } }.count
    }

    @Test func thePromotionWaitsForTheGatesYesToThisCanary() throws {
        var s = try Scenario(Self.yaml)
        s.run(minutes: 30, measure: Self.healthy)
        #expect(promotions(s) == 0 && s.weights == [20], "promoted without the gate")
        let asked = asks(s)
        guard case .askGate(let rollout, let gate, let canary, let stable)? = asked.first?.action else {
            Issue.record("the gate was never asked")
            return
        }
        #expect(rollout == "r" && gate.name == "evals" && canary.description == "1.1.0" && stable.description == "1.0.0")
        // Asked once the pause and the analysis had let the promotion go, not before.
        #expect((asked.first?.at ?? 0) >= 5 * 60)

        // No, and a yes to another version, hold it; the analysis and the asking go on.
        s.evidence.record(GateAnswer(version: canary, yes: false, said: "503: 2 of 40 evals failed", at: s.now), rollout: "r", gate: "evals")
        s.run(minutes: 3, measure: Self.healthy)
        s.evidence.record(GateAnswer(version: try #require(SemanticVersion("1.2.0")), yes: true, said: "ok", at: s.now), rollout: "r", gate: "evals")
        s.run(minutes: 3, measure: Self.healthy)
        #expect(promotions(s) == 0)
        #expect(asks(s).count > asked.count, "the gate was not asked again")
        #expect(s.observed["r"]?.phase == .progressing, "a gate has no deadline: it waits")

        s.evidence.record(GateAnswer(version: canary, yes: true, said: "200: 40 of 40 evals passed", at: s.now), rollout: "r", gate: "evals")
        s.run(minutes: 1, measure: Self.healthy)
        #expect(promotions(s) == 1)
    }

    @Test func aGateIsNotAskedWhileTheAnalysisHoldsThePromotion() throws {
        var s = try Scenario(Self.yaml)
        // Errors at 4% against a 5% limit: neither a pass nor a failure for a long while.
        s.run(minutes: 20) { version, _, _ in
            [measured("error-rate", version, 0.045, samples: 300), measured("latency", version, 800, samples: 2_000),
             measured("cost", version, 0.001, samples: 2_000)]
        }
        #expect(s.observed["r"]?.verdicts["error-rate"]?.outcome != .pass)
        #expect(asks(s).isEmpty)
        #expect(promotions(s) == 0)
    }
}
