import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import StewardEngine
import StewardSimulation
import StewardStore
import StewardYAML

/// The agent killed with SIGKILL at random instants while it walks a canary
/// to its promotion, and restarted each time: no agent commit twice, no
/// transition lost, and the same final routes as a run without kills.
/// `make test` kills it 20 times; `make crash-test` (STEWARD_CRASH_KILLS=100) more.
@Suite(.serialized) struct AgentCrashTests {
    static var kills: Int { Int(ProcessInfo.processInfo.environment["STEWARD_CRASH_KILLS"] ?? "") ?? 20 }

    @Test func killedAtRandomInstantsItStillPromotesOnceAndLosesNothing() async throws {
        let world = try AgentEndToEndTests.World()
        var port = try world.start()
        var seed = KillClock(seed: UInt64(ProcessInfo.processInfo.environment["STEWARD_CRASH_SEED"] ?? "") ?? UInt64.random(in: 0..<1_000_000))
        print("crash test seed \(seed.seed), \(Self.kills) kills")
        var rng = SystemRandomNumberGenerator()
        var killed = 0
        var nextKill = Date().addingTimeInterval(seed.uniform(0.1...1.2))
        let deadline = Date().addingTimeInterval(Double(Self.kills) * 2 + 150)
        func promoted() throws -> Bool { try world.remoteGit(["log", "--format=%s"]).contains("status: customer-support-agent healthy") }
        while Date() < deadline {
            if killed < Self.kills, Date() >= nextKill, let agent = world.agent {
                kill(agent.processIdentifier, SIGKILL)
                agent.waitUntilExit()
                killed += 1
                try? FileManager.default.removeItem(atPath: world.dir + "/state/listen")
                port = try world.start()
                nextKill = Date().addingTimeInterval(seed.uniform(0.1...1.2))
            }
            // Outcomes posted while the agent is down are lost, as a gateway's would be.
            _ = try? await AgentEndToEndTests.post(port: port, token: world.token, canaryErrors: 0.01, rng: &rng)
            if killed >= Self.kills, try promoted() { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(killed >= Self.kills)
        #expect(try promoted(), "\((try? String(contentsOfFile: world.dir + "/agent.log", encoding: .utf8)) ?? "")")

        try Self.expectWholeHistory(world)
        // The final routes equal a run without kills: all of customer-support-agent on 2.4.0.
        let routes = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: world.dir + "/state/routes.json"))) as? [String: Any]
        let models = (routes?["models"] as? [[String: Any]]) ?? []
        let variants = models.first { $0["model"] as? String == "customer-support-agent" }?["variants"] as? [[String: Any]]
        #expect(variants?.count == 1 && variants?.first?["version"] as? String == "2.4.0" && variants?.first?["basisPoints"] as? Int == 10000)
        #expect(try world.remoteGit(["fsck", "--strict"]).isEmpty)
        #expect(world.stop() == 0)
    }

    static var replicaKills: Int { Int(ProcessInfo.processInfo.environment["STEWARD_CRASH_REPLICA_KILLS"] ?? "") ?? 6 }

    /// Three replicas over one PostgreSQL store, one of them (any) killed
    /// with SIGKILL at random instants and restarted each time: the same
    /// single promotion, no duplicate or lost transition, the rollout's terms
    /// never going back, and the routes every replica serves equal to a run
    /// without kills. `make test` kills 6 times; `make crash-test` 50.
    @Test func threeReplicasKilledAtRandomStillPromoteOnceAndLoseNothing() async throws {
        let replicas = try Replicas(leaseSeconds: 3)
        for replica in 0..<3 { try replicas.start(replica) }
        var clock = KillClock(seed: UInt64(ProcessInfo.processInfo.environment["STEWARD_CRASH_SEED"] ?? "") ?? UInt64.random(in: 0..<1_000_000))
        print("replica crash test seed \(clock.seed), \(Self.replicaKills) kills")
        var rng = SystemRandomNumberGenerator()
        var killed = 0, turn = 0
        var nextKill = Date().addingTimeInterval(clock.uniform(0.5...2))
        let deadline = Date().addingTimeInterval(Double(Self.replicaKills) * 3 + 180)
        func done() throws -> Bool { try replicas.world.remoteGit(["log", "--format=%s"]).contains("status: customer-support-agent healthy") }
        while Date() < deadline {
            if killed < Self.replicaKills, Date() >= nextKill {
                let victim = Int(clock.uniform(0...2.999))
                replicas.signal(victim, SIGKILL)
                killed += 1
                try replicas.start(victim)
                nextKill = Date().addingTimeInterval(clock.uniform(0.5...2))
            }
            // Outcomes posted to a replica as it dies are lost, as a gateway's would be.
            _ = try? await AgentEndToEndTests.post(port: replicas.ports[turn % 3], token: replicas.world.token, canaryErrors: 0.01, rng: &rng)
            turn += 1
            if killed >= Self.replicaKills, try done() { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(killed >= Self.replicaKills)
        #expect(try done(), "\((0..<3).map { replicas.log($0).suffix(3000) }.joined(separator: "\n---\n"))")
        try Self.expectWholeHistory(replicas.world)
        let commits = try replicas.agentCommits()
        let terms = ReplicaTests.terms(of: Shards.shard(of: "customer-support-agent"), in: commits)
        #expect(terms == terms.sorted(), "\(commits)")
        // Every replica serves the same final routes: all of customer-support-agent on 2.4.0.
        try await Task.sleep(for: .milliseconds(500))
        for replica in 0..<3 {
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(replicas.ports[replica])/v1/routes")!)
            let table = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            let variants = ((table?["models"] as? [[String: Any]]) ?? []).first { $0["model"] as? String == "customer-support-agent" }?["variants"] as? [[String: Any]]
            #expect(variants?.count == 1 && variants?.first?["version"] as? String == "2.4.0" && variants?.first?["basisPoints"] as? Int == 10000,
                    "replica \(replica): \(String(decoding: data, as: UTF8.self))")
        }
        #expect(try replicas.world.remoteGit(["fsck", "--strict"]).isEmpty)
    }

    /// No duplicate agent commit (one promotion, no status commit repeating
    /// the one before it) and no lost transition (every step of the walk in
    /// git, in order), however many agents were killed on the way.
    static func expectWholeHistory(_ world: AgentEndToEndTests.World) throws {
        // No duplicate agent commit: one promotion, and no status commit repeats the one before it.
        let log = try world.remoteGit(["log", "--reverse", "--format=%H %s", "--author=steward@example.com"])
            .split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1).map(String.init) }
        #expect(log.filter { $0[1].hasPrefix("Promote customer-support-agent") }.count == 1, "\(log)")
        var previous: [String: RolloutStatus] = [:]
        for entry in log where entry[1].hasPrefix("status: ") {
            // One commit holds every status file a round changed.
            let files = try world.remoteGit(["show", "--name-only", "--format=", entry[0]]).split(separator: "\n").filter { $0.hasPrefix("status/") }
            for path in files {
                let rollout = String(path.dropFirst("status/".count).dropLast(".yaml".count))
                let file = try world.remoteGit(["show", "\(entry[0]):\(path)"])
                let transition = try #require(Self.transition(file), "\(file)")
                #expect(previous[rollout] != transition, "status of \(rollout) committed twice: \(entry[1])")
                previous[rollout] = transition
            }
        }
        // No lost transition: every step of the walk is in git, in order (a status commit of several rollouts says each in its body).
        let subjects = try log.map { try world.remoteGit(["log", "-1", "--format=%B", $0[0]]) }
        let walk = ["canary at 20%", "canary at 50%", "Promote customer-support-agent to 2.4.0", "healthy at step 1"]
        let positions = walk.map { step in subjects.firstIndex { $0.contains(step) } }
        #expect(positions.allSatisfy { $0 != nil } && positions.map { $0 ?? -1 } == positions.map { $0 ?? -1 }.sorted(), "\(subjects)")
    }

    /// A status file without what changes at every look.
    static func transition(_ file: String) -> RolloutStatus? {
        StatusFile.decode(Array(file.utf8), file: "status.yaml", bag: DiagnosticBag())?.status.transition
    }

    /// A seeded draw of the instants of the kills, so a failure can be replayed.
    struct KillClock {
        let seed: UInt64
        private var random: SeededRandom
        init(seed: UInt64) {
            self.seed = seed
            random = SeededRandom(seed: seed)
        }
        mutating func uniform(_ range: ClosedRange<Double>) -> Double {
            range.lowerBound + random.uniform() * (range.upperBound - range.lowerBound)
        }
    }
}
