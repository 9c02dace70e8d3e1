import Foundation
import Hummingbird
import Testing
import StewardTesting

/// Rollout events posted to people's receivers by the real agent: a
/// receiver that records them, and one that accepts connections and never
/// answers, which must slow neither the rollback nor the other receiver.
@Suite(.serialized) struct NotificationTests {
    typealias World = AgentEndToEndTests.World

    /// A loopback receiver that keeps every event posted to `/hook`.
    static func receiver() async throws -> FakeServer {
        try await FakeServer.start { router in router.post("hook") { _, _ in Response(status: .ok) } }
    }

    static func events(_ receiver: FakeServer) -> [[String: Any]] {
        receiver.requests.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] }
    }

    @Test func aReceiverThatNeverAnswersSlowsNeitherTheRollbackNorTheOthers() async throws {
        let world = try World()
        let listening = try await Self.receiver(), silent = try await FakeServer.silent()
        let urls = "http://127.0.0.1:\(silent.port)/hook,http://127.0.0.1:\(listening.port)/hook"
        let port = try world.start(environment: ["STEWARD_NOTIFICATION_URLS": urls])
        let reverted = try await AgentEndToEndTests.drive(world, port: port, canaryErrors: 0.08, seconds: 90) {
            try world.remoteGit(["log", "--format=%s"]).contains("Revert \"Start canary 2.4.0\"")
        }
        let log = (try? String(contentsOfFile: world.dir + "/agent.log", encoding: .utf8)) ?? ""
        #expect(reverted, "\(log)")
        // Measured: the canary reached 0% in the routing file this long after the deciding evaluation.
        let dropped = log.split(separator: "\n").first { $0.contains(" traffic ") && $0.hasSuffix("weight=0") }
        let ms = dropped.flatMap { $0.split(separator: " ").first { $0.hasPrefix("publishedMsAfterDecision=") } }
            .flatMap { Int($0.dropFirst("publishedMsAfterDecision=".count)) }
        #expect(ms != nil && ms! <= 1000, "\(dropped ?? "no traffic line at 0%")")
        print("measured: canary at 0% in the routing file \(ms ?? -1) ms after the decision, with a receiver that never answers")
        // The listening receiver heard the story while the silent one held its connections.
        var events: [[String: Any]] = []
        for _ in 0..<50 {
            events = Self.events(listening)
            if events.contains(where: { $0["event"] as? String == "rolledBack" }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(events.map { $0["event"] as? String } .contains("started"), "\(events)")
        let rollback = events.first { $0["event"] as? String == "rolledBack" }
        #expect((rollback?["text"] as? String)?.hasPrefix("steward: customer-support-agent rolled back 2.4.0 → 2.3.1: error-rate") == true, "\(events)")
        #expect(rollback?["rollout"] as? String == "customer-support-agent" && rollback?["revision"] is String)
        // Shutdown does not wait for the silent receiver.
        let stopping = Date()
        #expect(world.stop() == 0)
        #expect(Date().timeIntervalSince(stopping) < 8)
    }
}
