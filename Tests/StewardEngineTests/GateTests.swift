import Foundation
import Testing
import StewardEngine
import StewardSpec

/// A rollout's gates: each move waits for every gate of its point to say
/// yes to this canary (at this step, for a weight increase), and a gate is
/// asked only once nothing else holds the move; after a rollback, gates are told.
@Suite struct GateTests {
    static func yaml(_ point: GatePoint = .beforePromotion) -> String {
        baseYAML() + rolloutDocument(extra: """
              gates:
                \(point.rawValue):
                  - {name: evals, url: "http://127.0.0.1:9/evals", timeout: 5s}
            """, strategy: """
                canary:
                  analysis: {templates: [checks]}
                  steps:
                    - setWeight: 20
                    - pause: {duration: 5m}
                    - setWeight: 50
                    - pause: {duration: 5m}
                    - setWeight: 100
            """)
    }
    static let yaml = yaml()

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
        s.run(minutes: 40, measure: Self.healthy)
        #expect(promotions(s) == 0 && s.weights == [20, 50], "promoted without the gate")
        let asked = asks(s)
        guard case .askGate(var question, let gate)? = asked.first?.action else {
            Issue.record("the gate was never asked")
            return
        }
        #expect(question.rollout == "r" && gate.name == "evals" && question.point == .beforePromotion)
        #expect(question.canary.description == "1.1.0" && question.stable.description == "1.0.0" && question.step == 5)
        // Asked once the pauses and the analysis had let the promotion go, not before.
        #expect((asked.first?.at ?? 0) >= 10 * 60)

        // No, and a yes to another version, hold it; the analysis and the asking go on.
        s.evidence.record(GateAnswer(question: question, yes: false, said: "503: 2 of 40 evals failed", at: s.now))
        s.run(minutes: 3, measure: Self.healthy)
        var other = question
        other.canary = try #require(SemanticVersion("1.2.0"))
        s.evidence.record(GateAnswer(question: other, yes: true, said: "ok", at: s.now))
        s.run(minutes: 3, measure: Self.healthy)
        #expect(promotions(s) == 0)
        #expect(asks(s).count > asked.count, "the gate was not asked again")
        #expect(s.observed["r"]?.phase == .progressing, "a gate has no deadline: it waits")

        question.step = 1  // a promotion's yes holds whichever step it was asked at
        s.evidence.record(GateAnswer(question: question, yes: true, said: "200: 40 of 40 evals passed", at: s.now))
        s.run(minutes: 1, measure: Self.healthy)
        #expect(promotions(s) == 1)
    }

    /// Flagger's confirm-traffic-increase: each increase waits for its own yes.
    @Test func eachWeightIncreaseWaitsForItsOwnYes() throws {
        var s = try Scenario(Self.yaml(.beforeWeightIncrease))
        s.run(minutes: 20, measure: Self.healthy)
        #expect(s.weights == [20], "the increase to 50% went without the gate")
        guard case .askGate(let question, _)? = asks(s).first?.action else {
            Issue.record("the gate was never asked")
            return
        }
        #expect(question.point == .beforeWeightIncrease && question.step == 3)
        s.evidence.record(GateAnswer(question: question, yes: true, said: "200", at: s.now))
        s.run(minutes: 20, measure: Self.healthy)
        // 50%, then the promotion: a beforeWeightIncrease gate is not asked about the promotion.
        #expect(s.weights == [20, 50, 100] && promotions(s) == 1, "\(s.weights)")
        #expect(asks(s).allSatisfy { if case .askGate(let q, _) = $0.action { q.step == 3 } else { false } }, "a later step was asked about")
    }

    @Test func theFirstTrafficWaitsForTheBeforeRolloutGates() throws {
        var s = try Scenario(Self.yaml(.beforeRollout))
        s.run(minutes: 10, measure: Self.healthy)
        #expect(s.weights.isEmpty, "the canary got traffic before the gate said yes")
        guard case .askGate(let question, _)? = asks(s).first?.action else {
            Issue.record("the gate was never asked")
            return
        }
        s.evidence.record(GateAnswer(question: question, yes: true, said: "200", at: s.now))
        s.run(minutes: 1, measure: Self.healthy)
        #expect(s.weights == [20])
    }

    /// Flagger's pre-rollout webhook: a smoke test with a `failureLimit`
    /// that keeps saying no rolls the canary back, with what it said; each
    /// answer counts once, however many rounds see it.
    /// The reasons of the rollbacks planned so far.
    func rollbacks(_ s: Scenario) -> [String] {
        s.actions { if case .rollback = $0 { true } else { false } }.compactMap(\.action.reason)
    }

    /// The first question the rollout asked a gate, if it asked one.
    func firstQuestion(_ s: Scenario) -> GateQuestion? {
        for ask in asks(s) {
            if case .askGate(let question, _) = ask.action { return question }
        }
        return nil
    }

    @Test func aSmokeGateThatKeepsSayingNoRollsTheCanaryBack() throws {
        var s = try Scenario(Self.yaml(.beforeRollout).replacingOccurrences(of: "timeout: 5s", with: "timeout: 5s, failureLimit: 2"))
        s.run(minutes: 2, measure: Self.healthy)
        let question = try #require(firstQuestion(s), "the gate was never asked")
        #expect(question.point == .beforeRollout)

        // One no, seen by three rounds, counts once: no rollback yet.
        s.evidence.record(GateAnswer(question: question, yes: false, said: "500: smoke test failed: 3 of 10 prompts timed out", at: s.now))
        s.run(minutes: 3, measure: Self.healthy)
        #expect(rollbacks(s).isEmpty)
        #expect(s.observed["r"]?.gateNoes[question.passKey]?.count == 1)
        #expect(s.observed["r"]?.phase == .progressing)
        // Held before the rollout: the canary has had no traffic while the gate says no.
        #expect(s.observed["r"]?.canaryWeight == 0 && s.weights.allSatisfy { $0 == 0 }, "\(s.weights)")

        // The second no reaches the limit: rolled back with the gate's words, the canary never served.
        s.evidence.record(GateAnswer(question: question, yes: false, said: "500: smoke test failed: 4 of 10 prompts timed out", at: s.now))
        s.run(minutes: 1, measure: Self.healthy)
        #expect(rollbacks(s) == ["gate evals (beforeRollout) said no 2 times: 500: smoke test failed: 4 of 10 prompts timed out"])
        #expect(s.observed["r"]?.phase == .rolledBack)
        #expect(s.weights == [0], "the canary got traffic: \(s.weights)")
    }

    @Test func afterARollbackTheGatesAreTold() throws {
        var s = try Scenario(Self.yaml(.afterRollback))
        s.run(minutes: 10) { version, _, _ in
            [measured("error-rate", version, version.description == "1.1.0" ? 0.3 : 0.005, samples: 2_000),
             measured("latency", version, 800, samples: 2_000), measured("cost", version, 0.001, samples: 2_000)]
        }
        let told = asks(s).compactMap { if case .askGate(let q, _) = $0.action { q } else { nil } }
        #expect(told.count == 1 && told.first?.point == .afterRollback, "\(told)")
        #expect(told.first?.reason?.contains("error-rate") == true)
    }

    /// A yes is kept in the status: an agent restarted with none of the
    /// answers in memory (a status read back from its JSON) does not ask again.
    @Test func aYesSurvivesARestartAndIsNotAskedAgain() throws {
        var s = try Scenario(Self.yaml(.beforeWeightIncrease))
        s.run(minutes: 20, measure: Self.healthy)
        guard case .askGate(let question, _)? = asks(s).first?.action else {
            Issue.record("the gate was never asked")
            return
        }
        // A person pauses the rollout just as the gate says yes: the move waits, the yes is kept.
        s.desired.rollouts["r"]?.metadata.annotations[ManualControl.pause.rawValue] = "priya"
        s.evidence.record(GateAnswer(question: question, yes: true, said: "200", at: s.now))
        s.run(minutes: 1, measure: Self.healthy)
        let status = try #require(s.observed["r"])
        #expect(status.gatesPassed == [question.passKey] && s.weights == [20], "\(status.gatesPassed) \(s.weights)")
        // The restart: the status as the journal keeps it, the answers gone.
        let restored = try JSONDecoder().decode(RolloutStatus.self, from: try JSONEncoder().encode(status))
        #expect(restored.gatesPassed == status.gatesPassed)
        var restarted = try Scenario(Self.yaml(.beforeWeightIncrease))
        restarted.desired.rollouts["r"]?.metadata.annotations = s.desired.rollouts["r"]?.metadata.annotations ?? [:]
        restarted.desired.rollouts["r"]?.metadata.annotations[ManualControl.pause.rawValue] = nil
        restarted.observed["r"] = restored
        restarted.now = s.now
        let before = asks(restarted).count
        restarted.run(minutes: 15, measure: Self.healthy)
        #expect(asks(restarted).count == before, "asked again after a restart")
        #expect(restarted.weights.first == 50, "\(restarted.weights) \(restarted.observed["r"].map { "\($0.phase) \($0.pauseReason ?? "")" } ?? "")")
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
