import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StewardStore
import StewardTesting
import Testing

/// Several agents over PostgreSQL, as an operator runs them: three replicas
/// on one remote and one database, gateways posting outcomes to any of them.
/// One replica acts on each rollout; another takes over when it dies, is cut
/// off the database, or is paused past its lease, and none acts on a stale term.
@Suite(.serialized) struct ReplicaTests {
    static let rollout = "customer-support-agent"

    /// Outcomes posted round-robin to the replicas in `to`, one second's worth every half second, until `done` holds.
    final class Traffic {
        let replicas: Replicas
        var accepted = 0
        private var turn = 0
        private var rng = SystemRandomNumberGenerator()

        init(_ replicas: Replicas) { self.replicas = replicas }

        func drive(to targets: [Int], seconds: Double, canaryErrors: Double = 0.01, until done: () async throws -> Bool) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let port = replicas.ports[targets[turn % targets.count]]
                turn += 1
                if try await AgentEndToEndTests.post(port: port, token: replicas.world.token, canaryErrors: canaryErrors, rng: &rng) == 200 { accepted += 1 }
                if try await done() { return true }
                try await Task.sleep(for: .milliseconds(500))
            }
            return try await done()
        }
    }

    /// The term each agent commit acting in `shard` carries, in history order.
    static func terms(of shard: Int, in commits: [(id: String, subject: String, replica: String, terms: [String])]) -> [Int] {
        commits.compactMap { commit in commit.terms.first { $0.hasSuffix(" shard \(shard)") }.flatMap { Int($0.split(separator: " ")[0]) } }
    }

    func logs(_ replicas: Replicas) -> String { (0..<replicas.count).map { "replica \($0):\n" + replicas.log($0).suffix(4000) }.joined(separator: "\n") }

    func reached(_ replicas: Replicas, _ text: String) throws -> Bool { try replicas.world.remoteGit(["log", "--format=%B"]).contains(text) }

    /// Waits until a replica other than `old` holds the rollout's shard under a later term; returns it and how long that took.
    func takeover(_ replicas: Replicas, from old: (replica: Int, term: Int), asking: Int, since: Date,
                  traffic: Traffic, targets: [Int]) async throws -> (replica: Int, term: Int, seconds: Double)? {
        var found: (replica: Int, term: Int)?
        _ = try await traffic.drive(to: targets, seconds: Double(replicas.leaseSeconds) * 4) {
            if let now = try await replicas.holder(of: Self.rollout, asking: asking), now.replica != old.replica, now.term > old.term { found = now }
            return found != nil
        }
        return found.map { ($0.replica, $0.term, Date().timeIntervalSince(since)) }
    }

    /// Three replicas with the shards shared out, and the canary walked to its first step under traffic.
    func midRollout() async throws -> (replicas: Replicas, traffic: Traffic, holder: (replica: Int, term: Int), others: [Int]) {
        let replicas = try Replicas()
        try await replicas.startAll()
        let traffic = Traffic(replicas)
        #expect(try await traffic.drive(to: [0, 1, 2], seconds: 90) { try reached(replicas, "canary at 20%") }, "\(logs(replicas))")
        let holder = try #require(try await replicas.holder(of: Self.rollout, asking: 0), "\(logs(replicas))")
        return (replicas, traffic, holder, [0, 1, 2].filter { $0 != holder.replica })
    }

    @Test func threeReplicasWalkACanaryAndAnotherTakesOverWhenTheHolderIsKilled() async throws {
        let (replicas, traffic, holder, survivors) = try await midRollout()
        // Every replica says the same of the lease, and serves the same routes.
        for replica in 0..<3 { #expect(try await replicas.holder(of: Self.rollout, asking: replica)?.replica == holder.replica) }
        // Outcomes stop going to the replica about to die, and what it took is written (flushed every second) before the kill.
        _ = try await traffic.drive(to: survivors, seconds: 2) { false }
        replicas.signal(holder.replica, SIGKILL)
        let killed = Date()
        let next = try #require(try await takeover(replicas, from: holder, asking: survivors[0], since: killed, traffic: traffic, targets: survivors),
                                "\(logs(replicas))")
        print("takeover after SIGKILL: \(String(format: "%.1f", next.seconds)) s (lease \(replicas.leaseSeconds) s)")
        #expect(next.seconds <= Double(2 * replicas.leaseSeconds), "took \(next.seconds) s")
        // The new holder finishes the walk: promoted, then healthy.
        #expect(try await traffic.drive(to: survivors, seconds: 120) { try reached(replicas, "status: customer-support-agent healthy") }, "\(logs(replicas))")
        try AgentCrashTests.expectWholeHistory(replicas.world)
        // Every agent commit says which replica made it and under which term; the rollout's terms never go back.
        let commits = try replicas.agentCommits()
        #expect(!commits.isEmpty && commits.allSatisfy { !$0.replica.isEmpty && !$0.terms.isEmpty }, "\(commits)")
        let terms = Self.terms(of: Shards.shard(of: Self.rollout), in: commits)
        #expect(terms == terms.sorted() && terms.last == next.term, "\(terms)")
        #expect(commits.first { $0.subject.hasPrefix("Promote") }?.replica == replicas.id(next.replica))
        // Outcomes posted round-robin are counted exactly once: 150 of each version per accepted post.
        try await Task.sleep(for: .seconds(2))
        let counted = try replicas.database.sql("SELECT version, sum(requests)::bigint FROM outcome_bucket WHERE model = 'customer-support-agent' GROUP BY version ORDER BY version")
        #expect(counted == "2.3.1|\(traffic.accepted * 150)\n2.4.0|\(traffic.accepted * 150)\n", "accepted \(traffic.accepted) posts")
        // The routes every survivor serves: all of the model on the promoted version.
        for replica in survivors {
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(replicas.ports[replica])/v1/route?model=\(Self.rollout)&key=u1")!)
            #expect(String(decoding: data, as: UTF8.self).contains("\"2.4.0\""))
        }
    }

    @Test func aFailingCanaryIsRevertedByItsHolderAndEveryReplicaServesStable() async throws {
        let replicas = try Replicas()
        try await replicas.startAll()
        let traffic = Traffic(replicas)
        #expect(try await traffic.drive(to: [0, 1, 2], seconds: 90, canaryErrors: 0.08) { try reached(replicas, "Revert \"Start canary 2.4.0\"") },
                "\(logs(replicas))")
        let revert = try #require(try replicas.agentCommits().first { $0.subject.hasPrefix("Revert") })
        // Made by the replica that held the rollout's shard under the term it names.
        let shard = Shards.shard(of: Self.rollout)
        let term = try #require(revert.terms.first { $0.hasSuffix(" shard \(shard)") }.flatMap { Int($0.split(separator: " ")[0]) }, "\(revert)")
        let actors = try replicas.database.sql("SELECT DISTINCT agent FROM journal WHERE shard = \(shard) AND term = \(term)")
        #expect(actors == revert.replica + "\n", "\(actors) \(revert)")
        let trailers = try replicas.world.remoteGit(["log", "-1", "--format=%(trailers)", revert.id])
        #expect(trailers.contains("Steward-Action: rollback") && trailers.contains("Steward-Reason: error-rate 0."), "\(trailers)")
        // No replica serves the canary any more.
        for replica in 0..<3 {
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(replicas.ports[replica])/v1/routes")!)
            #expect(!String(decoding: data, as: UTF8.self).contains("\"2.4.0\""), "replica \(replica)")
        }
        #expect(try replicas.agentCommits().filter { $0.subject.hasPrefix("Revert") }.count == 1)
        // A person deletes the other rollout: its holder removes its route, and no replica serves it any more.
        let person = replicas.world.dir + "/person"
        try replicas.world.git(["clone", "-q", replicas.world.dir + "/remote.git", person], in: replicas.world.dir)
        try replicas.world.git(["rm", "-q", "rollouts/code-review-assistant.yaml"], in: person)
        try replicas.world.git(["commit", "-qm", "Retire the code-review-assistant rollout"], in: person)
        // Agents commit too: pushed again on their latest commit until it goes.
        for _ in 0..<5 where try Subprocess.run(["git", "push", "-q", "origin", "HEAD:main"], in: person).status != 0 {
            try replicas.world.git(["pull", "-q", "--rebase", "origin", "main"], in: person)
        }
        var served = [true, true, true]
        for _ in 0..<300 where served.contains(true) {
            for replica in 0..<3 {
                let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(replicas.ports[replica])/v1/routes")!)
                served[replica] = String(decoding: data, as: UTF8.self).contains("\"code-review-assistant\"")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(served == [false, false, false], "\(logs(replicas))")
    }

    @Test func anEmergencyStopPostedToAnyReplicaHoldsTheModelOnEveryReplica() async throws {
        let (replicas, traffic, holder, others) = try await midRollout()
        let asked = others[0]
        // What an operator sees, from any replica: who holds which shards, and the outcomes every replica took.
        let before = traffic.accepted
        _ = try await traffic.drive(to: [0, 1, 2], seconds: 2.5) { false }
        let shown = try Subprocess.run([CommandLineTests.binary, "status", "--agent", "http://127.0.0.1:\(replicas.ports[asked])"], in: replicas.world.dir)
        #expect(shown.output.contains("replica \(replicas.id(holder.replica).prefix(8))") && shown.output.contains("renewed until"), "\(shown.output)")
        let line = shown.output.split(separator: "\n").first { $0.contains("all replicas: customer-support-agent 2.4.0:") } ?? ""
        let requests = Int(line.split(separator: " ").dropLast(3).last ?? "") ?? 0
        #expect(requests >= (traffic.accepted - before - 2) * 150, "\(shown.output)")
        // The holder's own metrics: the shards it acts on, those it took, and the stale-term refusals (none here).
        let (metrics, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(replicas.ports[holder.replica])/metrics")!)
        let text = String(decoding: metrics, as: UTF8.self)
        func value(_ name: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect((value("steward_shard_leases_held") ?? 0) >= 1 && (value("steward_shard_takeovers_total") ?? 0) >= 1, "\(text)")
        #expect(value("steward_stale_term_refusals_total") == 0, "\(text)")
        // The stop goes to a replica that does not act on the rollout.
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(replicas.ports[asked])/v1/rollouts/\(Self.rollout)/stop")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(replicas.world.token)", forHTTPHeaderField: "Authorization")
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 202)
        let stopped = Date()
        // Every replica serves the model all on stable, within a bounded wait.
        var held: Set<Int> = []
        for _ in 0..<100 where held.count < 3 {
            for replica in 0..<3 {
                let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(replicas.ports[replica])/v1/routes")!)
                let table = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                let variants = ((table?["models"] as? [[String: Any]]) ?? []).first { $0["model"] as? String == Self.rollout }?["variants"] as? [[String: Any]]
                if variants?.count == 1, variants?.first?["version"] as? String == "2.3.1" { held.insert(replica) }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(held == [0, 1, 2], "\(logs(replicas))")
        print("stop on every replica after \(Int(Date().timeIntervalSince(stopped) * 1000)) ms")
        // And the holder's plan holds it there: the canary's weight never comes back while the stop stands.
        _ = try await traffic.drive(to: [0, 1, 2], seconds: 3) { false }
        let status = try await replicas.status(holder.replica)
        let rollout = (status["rollouts"] as? [[String: Any]])?.first { $0["name"] as? String == Self.rollout }
        #expect(rollout?["canaryWeight"] as? Int == 0, "\(rollout ?? [:])")
    }

    @Test func aReplicaCutOffTheDatabaseStopsActingWithinItsLease() async throws {
        let (replicas, traffic, holder, others) = try await midRollout()
        // The holder still reaches git, but no longer the database.
        replicas.cutDatabase(holder.replica)
        let cut = Date()
        let next = try #require(try await takeover(replicas, from: holder, asking: others[0], since: cut, traffic: traffic, targets: others), "\(logs(replicas))")
        #expect(try await traffic.drive(to: others, seconds: 120) { try reached(replicas, "status: customer-support-agent healthy") }, "\(logs(replicas))")
        // Once the new holder has committed, the cut-off replica never commits again, and none of its commits carries a later term.
        let commits = try replicas.agentCommits()
        let cutOff = replicas.id(holder.replica)
        let firstOfNew = try #require(commits.firstIndex { $0.replica == replicas.id(next.replica) && $0.terms.contains("\(next.term) shard \(Shards.shard(of: Self.rollout))") })
        #expect(!commits[firstOfNew...].contains { $0.replica == cutOff }, "\(commits)")
        let terms = Self.terms(of: Shards.shard(of: Self.rollout), in: commits)
        #expect(terms == terms.sorted(), "\(commits)")
        try AgentCrashTests.expectWholeHistory(replicas.world)
        // It said why, and it still serves the last routes it read.
        #expect(replicas.log(holder.replica).contains("cannot renew the shard leases"))
        let (_, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(replicas.ports[holder.replica])/v1/routes")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        print("takeover after the database was cut: \(String(format: "%.1f", next.seconds)) s")
    }

    /// The Argo Rollouts split-brain (argo-rollouts#2117), reproduced: the
    /// holder is paused mid-rollout past its lease, another replica takes the
    /// rollout over, and the paused one is resumed. It does not act on what it held.
    @Test func aReplicaPausedPastItsLeaseDoesNotActOnWhatItHeldWhenResumed() async throws {
        let (replicas, traffic, holder, others) = try await midRollout()
        replicas.signal(holder.replica, SIGSTOP)
        let paused = Date()
        _ = try #require(try await takeover(replicas, from: holder, asking: others[0], since: paused, traffic: traffic, targets: others), "\(logs(replicas))")
        replicas.signal(holder.replica, SIGCONT)
        // Traffic goes to every replica again, the resumed one too, while the new holder finishes.
        #expect(try await traffic.drive(to: [0, 1, 2], seconds: 120) { try reached(replicas, "status: customer-support-agent healthy") }, "\(logs(replicas))")
        _ = try await traffic.drive(to: [0, 1, 2], seconds: Double(replicas.leaseSeconds)) { false }
        let commits = try replicas.agentCommits()
        let resumed = replicas.id(holder.replica), shard = Shards.shard(of: Self.rollout)
        // The first commit under a later term than the one it held (the new holder's; or its own, had it taken the shard
        // back once resumed, under a newer term still, which is no split brain); none under its old term after that.
        let terms = Self.terms(of: shard, in: commits)
        #expect(terms == terms.sorted() && terms.contains { $0 > holder.term }, "\(commits)")
        let firstOfNew = try #require(commits.firstIndex { commit in Self.terms(of: shard, in: [commit]).contains { $0 > holder.term } })
        #expect(!commits[firstOfNew...].contains { $0.terms.contains("\(holder.term) shard \(shard)") }, "\(commits)")
        // Nor did it journal anything under its old term once a later term had.
        let late = try replicas.database.sql("""
            SELECT count(*) FROM journal WHERE agent = '\(resumed)' AND shard = \(shard) AND term = \(holder.term)
              AND id > (SELECT min(id) FROM journal WHERE shard = \(shard) AND term > \(holder.term))
            """)
        #expect(late == "0\n", "\(late)")
        try AgentCrashTests.expectWholeHistory(replicas.world)
    }

    /// A database that cannot be reached at start is named, and the agent
    /// exits (systemd's Restart= starts it again until it can connect).
    @Test func anUnreachableDatabaseIsNamedAndTheAgentExits() throws {
        let dir = NSTemporaryDirectory() + "steward-nodb-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try freePort()
        try """
            repository: {url: "file://\(dir)/remote.git", branch: main}
            listen: 127.0.0.1:0
            stateDirectory: \(dir)/state
            store: {postgres: {url: "postgresql://steward@127.0.0.1:\(port)/steward"}}
            """.write(toFile: dir + "/agent.yaml", atomically: true, encoding: .utf8)
        let run = try CommandLineTests().steward(["agent", "--config", dir + "/agent.yaml", "--once"])
        #expect(run.status == 1)
        #expect(run.error.contains("cannot open the PostgreSQL store at 127.0.0.1:\(port)/steward as steward"), "\(run.error)")
    }
}
