import Foundation
import StewardAgent
import StewardEngine
import StewardSimulation
import StewardStore
import StewardTesting
import Testing

/// A metric read by a provider the agent was given (`provider: {plugin: …}`):
/// judged like any other, and inconclusive, with the reason, on an agent
/// that lacks it.
@Suite struct PluginProviderTests {
    typealias Agent = InProcessAgentTests.Agent

    static let metric = """

            - name: judge-score
              provider: {plugin: {name: judge, settings: {suite: support-evals}}}
              failWhen: {below: 0.8}
              minSamples: 50
              interval: 1m
              severity: critical

        """

    static func judge(canary: Double) -> JudgeProvider {
        JudgeProvider(scores: ["support-evals": ["2.3.1": 0.9, "2.4.0": canary]])
    }

    @Test func aCanaryThePluginScoresWellIsPromoted() async throws {
        let agent = try Agent(metric: Self.metric, plugins: ["judge": Self.judge(canary: 0.9)])
        var random = SeededRandom(seed: 21)
        await agent.start()
        try await agent.run(200, canaryErrors: 0.01, random: &random, until: agent.promoted)
        #expect(try agent.promoted())
        let verdict = try await agent.store.journal.recent(500).compactMap { $0.status?.verdicts["judge-score"] }.first
        #expect(verdict?.outcome == .pass, "\(String(describing: verdict))")
    }

    @Test func aCanaryThePluginScoresBadlyIsRolledBackOnItsWord() async throws {
        let agent = try Agent(metric: Self.metric, plugins: ["judge": Self.judge(canary: 0.5)])
        var random = SeededRandom(seed: 22)
        await agent.start()
        try await agent.run(100, canaryErrors: 0.01, random: &random) { try !agent.rollbacks().isEmpty }
        let message = try agent.rollbacks()
        #expect(message.contains("judge-score"), "\(message)")
        #expect(agent.weight == 0)
    }

    @Test func anAgentWithoutTheProviderHoldsTheCanaryAndSaysWhy() async throws {
        let agent = try Agent(metric: Self.metric)
        var random = SeededRandom(seed: 23)
        await agent.start()
        for _ in 0..<60 { await agent.tenSeconds(canaryErrors: 0.01, random: &random) }
        #expect(try !agent.promoted())
        let status = try #require(agent.reconciler.snapshot.value.statuses["customer-support-agent"])
        #expect(status.canaryWeight == 20, "a metric no provider reads let the canary move")
        let verdict = try #require(status.verdicts["judge-score"])
        #expect(verdict.outcome == .inconclusive && verdict.note?.contains("this agent has no provider named judge (it has http, ingest, prometheus)") == true,
                "\(verdict)")
    }
}
