import Foundation
import Hummingbird
import Logging
@testable import StewardAgent
import StewardEngine
import StewardGit
import StewardOTLP
import StewardRouting
import StewardSimulation
import StewardSpec
import StewardStore
import StewardTesting
import SwiftProtobuf
import Synchronization
import Testing

/// The agent's reconcile rounds in this process, without starting the
/// binary: a real bare remote on disk, the in-memory store, and a virtual
/// clock the test moves ten seconds a round, so that a whole canary runs in
/// seconds and each round is the test's to call.
@Suite struct InProcessAgentTests {
    /// Time as the test says it is.
    final class VirtualClock: Sendable {
        private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { time.withLock { $0 } }

        func advance(seconds: Double) -> Date {
            time.withLock { $0 = $0.addingTimeInterval(seconds); return $0 }
        }
    }

    final class Agent {
        let repository: TemporaryRemote
        private(set) var reconciler: Reconciler
        private(set) var config: AgentConfig
        let store = MemoryAgentStore()
        /// The events the agent posted, across restarts.
        let notifier = MemoryNotifier()
        let clock = VirtualClock()
        let state = NSTemporaryDirectory() + "steward-state-" + UUID().uuidString

        /// The quickstart with short steps, ten-second looks and no change
        /// windows; a person's commit then starts the canary (the commit a
        /// rollback reverts).
        /// Providers given to the agent besides the built-in ones.
        let plugins: [String: any EvidenceProvider]

        /// - Parameters:
        ///   - gate: a `beforePromotion` gate's URL, if the rollout has one.
        ///   - statusBranch: the branch the agent commits its status files to, if not the watched one.
        ///   - metric: a metric added to the quickstart's template (YAML, indented as its list items are).
        ///   - plugins: providers given to the agent besides the built-in ones.
        ///   - rolloutExtra: lines added to the rollout's spec (indented two spaces).
        ///   - prepare: changes the quickstart's work tree (its path given) before the first commit.
        init(gate: String? = nil, statusBranch: String? = nil, metric: String? = nil, plugins: [String: any EvidenceProvider] = [:],
             rolloutExtra: String = "", prepare: (String) throws -> Void = { _ in }) throws {
            self.plugins = plugins
            let rollout = "/rollouts/customer-support-agent.yaml"
            repository = try TemporaryRemote(copying: SourceTree.path("examples/quickstart")) { work in
                try Quickstart.quicken(work, steps: """
                            - setWeight: 20
                            - pause: {duration: 2m}
                            - setWeight: 50
                            - pause: {duration: 2m}
                            - setWeight: 100

                    """)
                try rewrite(work + rollout) { text in
                    let gates = gate.map { "  gates:\n    beforePromotion:\n      - {name: evals, url: \"\($0)\", timeout: 5s}\n" } ?? ""
                    return text.replacingOccurrences(of: "  canary: 2.4.0\n", with: "").replacingOccurrences(of: "  stable: 2.3.1\n", with: "  stable: 2.3.1\n" + rolloutExtra) + gates
                }
                if let metric { try rewrite(work + "/analysis/llm-defaults.yaml") { $0 + metric } }
                try prepare(work)
            }
            try rewrite(repository.work + rollout) { $0.replacingOccurrences(of: "  stable: 2.3.1\n", with: "  stable: 2.3.1\n  canary: 2.4.0\n") }
            try repository.commitAndPush("Start canary 2.4.0")
            var config = AgentConfig(repositoryURL: "file://" + repository.remote, stateDirectory: state)
            config.identity = .init(name: "Steward", email: "steward@example.com")
            config.gitTimeout = .init(seconds: 5)
            config.statusBranch = statusBranch
            self.config = config
            reconciler = try Self.reconciler(config, store, notifier, plugins, clock)
        }

        /// A reconciler on in-memory parts: the store, the notifier and the routing table (no file).
        static func reconciler(_ config: AgentConfig, _ store: any AgentStore, _ notifier: MemoryNotifier,
                               _ plugins: [String: any EvidenceProvider], _ clock: VirtualClock) throws -> Reconciler {
            let providers = AgentParts.providers(config: config, store: store).merging(plugins) { _, plugin in plugin }
            let parts = AgentParts(store: store, providers: providers, notifier: notifier, routes: RoutingTablePublisher(path: nil))
            return try Reconciler(config: config, parts: parts, logger: Logger(label: "in-process"), clock: { clock.now })
        }

        /// The agent restarted after a crash: a new reconciler on the same
        /// state directory and store, nothing carried over in memory; its
        /// config changed by `reconfigure` (an operator's edit before the restart).
        func restart(reconfigure: (inout AgentConfig) -> Void = { _ in }) throws {
            reconciler.cancelFetch()
            reconfigure(&config)
            reconciler = try Self.reconciler(config, store, notifier, plugins, clock)
        }

        deinit { try? FileManager.default.removeItem(atPath: state) }

        /// The first round after a start: it waits for its fetch (a loaded
        /// machine may take over a second), as the agent is not ready before.
        func start() async {
            await reconciler.round(fetching: true, fetchPatience: .seconds(30))
        }

        /// The canary's weight as the agent last planned it.
        var weight: Int { reconciler.snapshot.value.statuses["customer-support-agent"]?.canaryWeight ?? 0 }

        /// Ten virtual seconds of traffic (a thousand requests, split by the
        /// agent's weight; the canary failing `canaryErrors` of its
        /// requests), then one round.
        /// - Parameter routed: the share of the canary's weight the gateway really sends it (1: as the table says).
        func tenSeconds(canaryErrors: Double, random: inout SeededRandom, routed: Double = 1) async {
            let now = clock.advance(seconds: 10)
            let canaryShare = Int((Double(max(0, weight)) * routed).rounded())
            var outcomes: [Outcome] = []
            for i in 0..<1000 {
                let canary = i % 100 < canaryShare
                let fails = random.uniform() < (canary ? canaryErrors : 0.01)
                outcomes.append(Outcome(model: "customer-support-agent", version: canary ? "2.4.0" : "2.3.1",
                                        time: now.timeIntervalSince1970 - 10 + Double(i) / 100, latencyMs: 300 + 200 * random.uniform(),
                                        ok: !fails, inputTokens: 200, outputTokens: 100, cost: 0.001, rating: 4 + random.uniform(),
                                        hallucination: false, safetyViolation: false))
            }
            reconciler.ingest.add(outcomes)
            await reconciler.round(fetching: true)
        }

        /// Rounds of ten seconds (at most `rounds`) until `done`.
        func run(_ rounds: Int, canaryErrors: Double, random: inout SeededRandom, until done: () throws -> Bool) async rethrows {
            for _ in 0..<rounds where try !done() { await tenSeconds(canaryErrors: canaryErrors, random: &random) }
        }

        /// Walks a healthy canary to 50% and restarts the agent there (its
        /// config changed by `reconfigure`); returns the weight it resumes at.
        func restartedAtHalf(random: inout SeededRandom, reconfigure: (inout AgentConfig) -> Void = { _ in }) async throws -> Int {
            await run(100, canaryErrors: 0.01, random: &random) { self.weight >= 50 }
            #expect(weight == 50)
            try restart(reconfigure: reconfigure)
            await start()
            #expect(reconciler.snapshot.value.ready)
            return weight
        }

        /// Whether the watched branch has the canary promoted.
        func promoted() throws -> Bool { try repository.remoteFile("rollouts/customer-support-agent.yaml").contains("stable: 2.4.0") }

        /// The messages of the rollback commits on the watched branch; empty before any.
        func rollbacks() throws -> String { try repository.remoteGit(["log", "--format=%B", "--grep=Steward-Action: rollback"]) }
    }

    @Test func aHealthyCanaryIsWalkedAndPromotedByACommit() async throws {
        let agent = try Agent()
        var random = SeededRandom(seed: 7)
        await agent.start()
        #expect(agent.reconciler.snapshot.value.ready, "\(agent.reconciler.snapshot.value.lastError ?? "")")
        var weights: [Int] = []
        for _ in 0..<200 where !(try agent.repository.remoteFile("rollouts/customer-support-agent.yaml")).contains("stable: 2.4.0") {
            await agent.tenSeconds(canaryErrors: 0.01, random: &random)
            if weights.last != agent.weight { weights.append(agent.weight) }
        }
        let rollout = try agent.repository.remoteFile("rollouts/customer-support-agent.yaml")
        #expect(rollout.contains("stable: 2.4.0") && !rollout.contains("canary: 2.4.0"), "\(weights)")
        #expect(weights.starts(with: [20, 50]), "\(weights)")
        let message = try agent.repository.remoteGit(["log", "-1", "--format=%B", "--grep=Steward-Action: promote"])
        #expect(message.contains("Steward-Rollout: customer-support-agent") && message.contains("Steward-To-Version: 2.4.0"), "\(message)")
        let kinds = try await agent.store.journal.recent(200).compactMap(\.kind)
        #expect(kinds.contains(.promote) && kinds.contains(.setWeights))
        // The quickstart's monthly budget, against what the outcomes cost (a thousand requests at 0.001 each, ten seconds apart).
        let spend = agent.reconciler.snapshot.value.statuses["customer-support-agent"]?.spend.first ?? ""
        #expect(spend.hasPrefix("month: ") && spend.hasSuffix(" of 5000 USD (0%)") && !spend.hasPrefix("month: 0.0 "), "\(spend)")
        let told = agent.notifier.events.filter { $0.rollout == "customer-support-agent" }.map(\.event)
        #expect(told == [.started, .stepAdvanced, .stepAdvanced, .promoted], "\(told)")
    }

    @Test func aFailingCanaryIsDroppedThenRevertedByACommit() async throws {
        let agent = try Agent()
        var random = SeededRandom(seed: 8)
        await agent.start()
        var rounds = 0
        for _ in 0..<100 where try agent.rollbacks().isEmpty {
            await agent.tenSeconds(canaryErrors: 0.3, random: &random)
            rounds += 1
        }
        #expect(agent.weight == 0)
        let message = try agent.rollbacks()
        #expect(message.contains("Steward-Action: rollback") && message.contains("error-rate"), "\(message)")
        #expect(!(try agent.repository.remoteFile("rollouts/customer-support-agent.yaml")).contains("canary: 2.4.0"))
        #expect(rounds < 20, "rolled back after \(rounds) rounds of 30% errors")
        // The version carries the rollback's mark, in the revert commit itself.
        let model = try agent.repository.remoteFile("models/customer-support-agent.yaml")
        let start = try agent.repository.remoteGit(["log", "--format=%H", "-1", "--grep=^Start canary 2.4.0"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let lines = model.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let marked = try #require(lines.firstIndex(of: "rolledBack:"), "\(model.suffix(600))")
        #expect(lines[marked + 1].hasPrefix("at: \"2027-01-15T08:") && lines[marked + 2].hasPrefix("reason: \"error-rate ")
                && lines[marked + 3] == "commit: \"\(start)\"", "\(lines[marked...].prefix(4))")
        #expect(try agent.repository.remoteGit(["log", "--format=%s", "--grep=Steward-Action: rollback"]) == "Revert \"Start canary 2.4.0\"\n")
        let rolledBack = try #require(agent.notifier.events.last)
        #expect(rolledBack.event == .rolledBack && rolledBack.text.hasPrefix("steward: customer-support-agent rolled back 2.4.0 → 2.3.1: error-rate"),
                "\(rolledBack.text)")
    }

    @Test func aRestartedAgentResumesWhereTheCanaryWas() async throws {
        let agent = try Agent()
        var random = SeededRandom(seed: 9)
        await agent.start()
        #expect(try await agent.restartedAtHalf(random: &random) == 50, "the restarted agent started the canary over")
        // And it goes on to promote.
        try await agent.run(100, canaryErrors: 0.01, random: &random, until: agent.promoted)
        #expect(try agent.repository.remoteFile("rollouts/customer-support-agent.yaml").contains("stable: 2.4.0"))
    }

    @Test func withGitAwayAFailingCanaryIsStillDroppedAndTheRevertFollowsWhenGitIsBack() async throws {
        let agent = try Agent()
        var random = SeededRandom(seed: 10)
        await agent.start()
        await agent.run(100, canaryErrors: 0.01, random: &random) { agent.weight >= 20 }
        let away = agent.repository.directory + "/remote-away.git"
        try FileManager.default.moveItem(atPath: agent.repository.remote, toPath: away)
        await agent.run(30, canaryErrors: 0.3, random: &random) { agent.weight <= 0 }
        #expect(agent.weight == 0, "traffic waited on git")
        let routes = try #require(agent.reconciler.routes.current).table.models.flatMap(\.variants).map(\.version)
        #expect(!routes.contains("2.4.0"), "\(routes)")
        #expect(agent.reconciler.snapshot.value.lastError?.contains("fetch") == true, "\(agent.reconciler.snapshot.value.lastError ?? "no error said")")
        try FileManager.default.moveItem(atPath: away, toPath: agent.repository.remote)
        try await agent.run(30, canaryErrors: 0.3, random: &random) { try !agent.rollbacks().isEmpty }
        #expect(try agent.rollbacks().contains("error-rate"))
        #expect(agent.reconciler.snapshot.value.lastError == nil)
    }

    @Test func thePromotionWaitsForTheGateToSayYes() async throws {
        let gate = try await GateServer.start(noes: 2)
        defer { gate.stop() }
        let agent = try Agent(gate: "http://127.0.0.1:\(gate.port)/evals")
        var random = SeededRandom(seed: 11)
        await agent.start()
        for _ in 0..<300 where try !agent.promoted() {
            await agent.tenSeconds(canaryErrors: 0.01, random: &random)
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(try agent.promoted())
        // Asked about this canary, told no twice (asked again after each), then yes; promoted after the yes.
        #expect(gate.asked.count == 3, "\(gate.asked)")
        let question = try #require(gate.asked.first.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(question["rollout"] as? String == "customer-support-agent" && question["canary"] as? String == "2.4.0"
                && question["stable"] as? String == "2.3.1" && question["point"] as? String == "beforePromotion"
                && question["gate"] as? String == "evals" && question["step"] as? Int == 5
                && (question["revision"] as? String)?.count == 40, "\(question)")
        let journal = try await agent.store.journal.recent(500)
        let answers = journal.filter { $0.kind == .askGate }.reversed().map { "\($0.state) \($0.detail ?? "")" }
        #expect(answers == ["failed 503: 2 of 40 evals failed", "failed 503: 2 of 40 evals failed", "done 200: 40 of 40 evals passed"], "\(answers)")
        let yes = try #require(journal.first { $0.kind == .askGate && $0.state == "done" })
        let promotion = try #require(journal.first { $0.kind == .promote })
        #expect(promotion.id > yes.id)
        // What the gate said with its yes is in the status and in the trailer of the status commit that records it.
        let trailers = try agent.repository.remoteGit(["log", "--format=%(trailers:key=Steward-Gate,valueonly)", "main"])
        #expect(trailers.trimmingCharacters(in: .whitespacesAndNewlines) == "customer-support-agent beforePromotion evals 2.4.0: 200: 40 of 40 evals passed",
                "\(trailers)")
        let statusFile = try agent.repository.remoteFile("status/customer-support-agent.yaml")
        #expect(statusFile.contains("  gateSaid:\n    beforePromotion evals 2.4.0: \"200: 40 of 40 evals passed\"\n"), "\(statusFile)")
    }

    @Test func aRegressionWhileTheGateSaysNoIsStillRolledBack() async throws {
        let gate = try await GateServer.start(noes: .max)
        defer { gate.stop() }
        let agent = try Agent(gate: "http://127.0.0.1:\(gate.port)/evals")
        var random = SeededRandom(seed: 12)
        await agent.start()
        for _ in 0..<200 where gate.asked.isEmpty {
            await agent.tenSeconds(canaryErrors: 0.01, random: &random)
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(!gate.asked.isEmpty, "the gate was never asked")
        try await agent.run(60, canaryErrors: 0.3, random: &random) { try !agent.rollbacks().isEmpty }
        #expect(try agent.rollbacks().contains("error-rate"))
        #expect(agent.weight == 0)
        #expect(try !agent.repository.remoteFile("rollouts/customer-support-agent.yaml").contains("stable: 2.4.0"))
    }

    /// A gate's words reach logs, terminals and the status page: kept to one
    /// line with no control characters (a terminal escape is not replayed).
    @Test func aGatesAnswerIsKeptToOnePlainLine() async throws {
        let gate = try await GateServer.start(noes: .max, no: "\u{1b}]0;owned\u{07}\u{1b}[31mred " + String(repeating: "x", count: 10_000) + "\nsecond line")
        defer { gate.stop() }
        let agent = try Agent(gate: "http://127.0.0.1:\(gate.port)/evals")
        var random = SeededRandom(seed: 13)
        await agent.start()
        var answer: JournalEntry?
        for _ in 0..<300 where answer == nil {
            await agent.tenSeconds(canaryErrors: 0.01, random: &random)
            try await Task.sleep(for: .milliseconds(5))
            answer = try await agent.store.journal.recent(50).first { $0.kind == .askGate }
        }
        let said = try #require(answer?.detail)
        #expect(said.hasPrefix("503: ?]0;owned??[31mred x") && !said.contains("second line"), "\(said.prefix(80))")
        #expect(!said.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) } && said.count < 300)
    }

    /// The subjects of a branch of the remote, newest first.
    static func subjects(_ agent: Agent, _ branch: String) throws -> [String] {
        try agent.repository.remoteGit(["log", "--format=%s", branch]).split(separator: "\n").map(String.init)
    }

    @Test func withAStatusBranchTheWatchedBranchHoldsOnlyDesiredStateChanges() async throws {
        let agent = try Agent(statusBranch: "steward-status")
        var random = SeededRandom(seed: 14)
        await agent.start()
        // A restart resumes from the status branch, not from the start of the canary.
        #expect(try await agent.restartedAtHalf(random: &random) == 50, "the restarted agent did not resume from the status branch")
        try await agent.run(100, canaryErrors: 0.01, random: &random, until: agent.promoted)
        let main = try Self.subjects(agent, "main"), statuses = try Self.subjects(agent, "steward-status")
        #expect(main.first == "Promote customer-support-agent to 2.4.0" && main.dropFirst().first == "Start canary 2.4.0", "\(main.prefix(4))")
        #expect(!main.contains { $0.hasPrefix("status:") }, "\(main.prefix(6))")
        #expect(try !agent.repository.remoteGit(["ls-tree", "-r", "--name-only", "main"]).contains("status/"))
        // The status branch holds the status files alone, one commit per transition, from a root of its own.
        let bodies = try agent.repository.remoteGit(["log", "--format=%B%x00", "steward-status"]).split(separator: "\0")
        #expect(bodies.filter { $0.contains("customer-support-agent ") }.count >= 3 && statuses.allSatisfy { $0.hasPrefix("status: ") },
                "\(statuses)")
        #expect(try agent.repository.remoteGit(["ls-tree", "-r", "--name-only", "steward-status"])
                == "status/code-review-assistant.yaml\nstatus/customer-support-agent.yaml\n")
        #expect(try agent.repository.remoteGit(["rev-list", "--max-parents=0", "steward-status"])
                != agent.repository.remoteGit(["rev-list", "--max-parents=0", "main"]))
        #expect(try agent.repository.remoteGit(["log", "-1", "--format=%B", "steward-status"]).contains("Steward-Observed-Revision: "))
    }

    @Test func anAgentSwitchedToAStatusBranchResumesFromTheWatchedBranch() async throws {
        let agent = try Agent()
        var random = SeededRandom(seed: 15)
        await agent.start()
        #expect(try await agent.restartedAtHalf(random: &random) { $0.statusBranch = "steward-status" } == 50,
                "the agent switched to a status branch started the canary over")
        // Until the switch, the statuses went beside the desired state.
        let main = try Self.subjects(agent, "main")
        #expect(main.first?.hasPrefix("status:") == true, "\(main.prefix(3))")
        try await agent.run(100, canaryErrors: 0.01, random: &random, until: agent.promoted)
        // From the switch on, the statuses go to their own branch; the watched branch gets only the promotion.
        #expect(try Self.subjects(agent, "main") == ["Promote customer-support-agent to 2.4.0"] + main)
        #expect(try !Self.subjects(agent, "steward-status").isEmpty)
    }

    /// The same agent signing its commits with a key of its own.
    static func signingAgent() async throws -> Agent {
        let agent = try Agent()
        let key = agent.repository.directory + "/agent-key"
        #expect(try Subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], in: agent.repository.directory).status == 0)
        try agent.restart { $0.signingKey = key }
        await agent.start()
        return agent
    }

    /// What an action cost: fetches, pushes and signatures, and reads of the desired state at the tip (one file, the whole tree).
    struct Cost: Equatable, CustomStringConvertible {
        var git: Repository.Work
        var fileParses: Int, treeParses: Int

        init(git: Repository.Work, fileParses: Int, treeParses: Int) {
            self.git = git
            self.fileParses = fileParses
            self.treeParses = treeParses
        }

        init(_ reconciler: Reconciler) {
            git = reconciler.repository.workDone
            func parses(_ scope: String) -> Int {
                let line = reconciler.metrics.text.split(separator: "\n").first { $0.hasPrefix("steward_desired_state_parses_total{scope=\"\(scope)\"}") }
                return line.flatMap { $0.split(separator: " ").last.flatMap { Int($0) } } ?? 0
            }
            fileParses = parses("file")
            treeParses = parses("tree")
        }

        static func - (a: Cost, b: Cost) -> Cost {
            var cost = a
            cost.git = .init(fetches: a.git.fetches - b.git.fetches, pushes: a.git.pushes - b.git.pushes, signatures: a.git.signatures - b.git.signatures)
            cost.fileParses -= b.fileParses
            cost.treeParses -= b.treeParses
            return cost
        }

        var description: String { "\(git.fetches) fetches, \(git.pushes) pushes, \(git.signatures) signatures, \(fileParses) file and \(treeParses) tree parses" }
    }

    /// One commit per action: the tip fetched once, the rollout's own file
    /// parsed once (never the whole tree), the commit signed once and pushed
    /// once; asked again on a tip that has it, one fetch and nothing else.
    @Test func aPromotionFetchesParsesSignsAndPushesOnce() async throws {
        let agent = try await Self.signingAgent()
        let reconciler = agent.reconciler, name = "customer-support-agent"
        let desired = try #require(reconciler.desired), rollout = try #require(desired.state.rollouts[name])
        let version = try #require(SemanticVersion("2.4.0")), previous = try #require(SemanticVersion("2.3.1"))
        let edits = Edits.promotion(of: version, in: rollout, desired: desired.state)
        let before = Cost(reconciler)
        let commit = try await reconciler.commitPromotion(name, version: version, previous: previous, edits: edits, desired: desired)
        let cost = Cost(reconciler) - before
        #expect(commit != nil && cost == Cost(git: .init(fetches: 1, pushes: 1, signatures: 1), fileParses: 1, treeParses: 0), "\(cost)")
        #expect(try agent.repository.remoteFile("rollouts/\(name).yaml").contains("stable: 2.4.0"))
        #expect(try agent.repository.remoteGit(["cat-file", "commit", "main"]).contains("-----BEGIN SSH SIGNATURE-----"))
        let again = Cost(reconciler)
        #expect(try await reconciler.commitPromotion(name, version: version, previous: previous, edits: edits, desired: desired) == nil)
        #expect(Cost(reconciler) - again == Cost(git: .init(fetches: 1, pushes: 0, signatures: 0), fileParses: 1, treeParses: 0))
    }

    @Test func aRollbackFetchesParsesSignsAndPushesOnce() async throws {
        let agent = try await Self.signingAgent()
        let reconciler = agent.reconciler, name = "customer-support-agent"
        let desired = try #require(reconciler.desired), rollout = try #require(desired.state.rollouts[name])
        let before = Cost(reconciler)
        let commit = try await reconciler.commitRollback(name, from: try #require(SemanticVersion("2.4.0")), to: try #require(SemanticVersion("2.3.1")),
                                                         mode: .revert, reason: "error-rate failed", edits: Edits.clearCanary(rollout),
                                                         desired: desired, at: Moment(secondsSinceEpoch: agent.clock.now.timeIntervalSince1970))
        let cost = Cost(reconciler) - before
        #expect(commit != nil && cost == Cost(git: .init(fetches: 1, pushes: 1, signatures: 1), fileParses: 1, treeParses: 0), "\(cost)")
        #expect(try agent.repository.remoteGit(["log", "-1", "--format=%s", "main"]) == "Revert \"Start canary 2.4.0\"\n")
        #expect(try agent.repository.remoteGit(["cat-file", "commit", "main"]).contains("-----BEGIN SSH SIGNATURE-----"))
    }

    /// A version the agent rolled back is not made the canary again by
    /// accident: the tip that tries is refused (the agent acts on the last
    /// good state and says why); with `retry: true` it is tried once more,
    /// and the next rollback takes `retry` off again.
    @Test func aRolledBackVersionComesBackOnlyWithRetry() async throws {
        let agent = try Agent()
        var random = SeededRandom(seed: 16)
        await agent.start()
        try await agent.run(100, canaryErrors: 0.3, random: &random) { try !agent.rollbacks().isEmpty }
        // The agent reads the revert back (the canary gone from the desired state) before anyone proposes again.
        await agent.run(10, canaryErrors: 0, random: &random) { agent.reconciler.snapshot.value.statuses["customer-support-agent"]?.canary == nil }
        let file = agent.repository.work + "/rollouts/customer-support-agent.yaml"
        try agent.repository.git(["pull", "-q", agent.repository.remote, "main"])
        try rewrite(file) { $0.replacingOccurrences(of: "  stable: 2.3.1\n", with: "  stable: 2.3.1\n  canary: 2.4.0\n") }
        try agent.repository.commitAndPush("Try 2.4.0 again")
        await agent.tenSeconds(canaryErrors: 0.01, random: &random)
        let refused = agent.reconciler.snapshot.value
        #expect(refused.invalidDiagnostics.contains { $0.contains("canary 2.4.0 was rolled back by Steward at 2027-") && $0.contains("error-rate")
                    && $0.contains("say retry: true on the rollout") }, "\(refused.invalidDiagnostics)")
        #expect(agent.weight == 0)
        try rewrite(file) { $0.replacingOccurrences(of: "  canary: 2.4.0\n", with: "  canary: 2.4.0\n  retry: true\n") }
        try agent.repository.commitAndPush("Retry 2.4.0: the gateway's timeout was the cause")
        try await agent.run(30, canaryErrors: 0.01, random: &random) { agent.weight > 0 }
        #expect(agent.weight > 0 && agent.reconciler.snapshot.value.invalidDiagnostics.isEmpty,
                "\(agent.reconciler.snapshot.value.invalidDiagnostics) \(String(describing: agent.reconciler.snapshot.value.statuses["customer-support-agent"]))")
        try await agent.run(100, canaryErrors: 0.3, random: &random) { try agent.rollbacks().split(separator: "\n").filter { $0 == "Steward-Action: rollback" }.count == 2 }
        #expect(agent.weight == 0)
        #expect(try !agent.repository.remoteFile("rollouts/customer-support-agent.yaml").contains("retry"))
    }

    /// Budgets run by UTC calendar: a day from midnight, a week from Monday, a month from the first.
    /// The retention and deprecation sweep on the virtual calendar (the
    /// agent starts on 2027-01-15): what is due is committed once, in one
    /// commit naming the rule for each version; the versions a rollout runs
    /// and the fast-rollback targets are left alone; what falls due later is
    /// committed when the calendar gets there.
    @Test func theLifecycleSweepCommitsWhatIsDueOnceAndLeavesServingVersionsAlone() async throws {
        let models = "models/customer-support-agent.yaml"
        func development(_ version: String, created: String) -> String {
            "\n    - version: \(version)\n      baseModel: gpt-4.1\n      status: development\n      created: \"\(created)\"\n"
        }
        let agent = try Agent { work in
            try rewrite(work + "/" + models) { text in
                text.replacingOccurrences(of: "      status: deprecated\n", with: "      status: deprecated\n      since: \"2026-10-01\"\n")
                    + development("2.5.0", created: "2026-12-01") + development("2.6.0", created: "2027-01-10")
            }
        }
        func lifecycleCommits() throws -> [String] {
            try agent.repository.remoteGit(["log", "--format=%B%x00", "--grep=Steward-Action: lifecycle", "main"])
                .components(separatedBy: "\u{0}").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        }
        func status(_ version: String) throws -> String {
            let text = try agent.repository.remoteFile(models)
            let entry = try #require(text.components(separatedBy: "- version: ").first { $0.hasPrefix(version + "\n") })
            let status = entry.components(separatedBy: "status: ")[1].prefix { $0 != "\n" }
            let since = entry.components(separatedBy: "since: ").dropFirst().first.map { " since " + $0.prefix { $0 != "\n" } } ?? ""
            return String(status) + since
        }
        await agent.start()
        var random = SeededRandom(seed: 7)
        for _ in 0..<3 { await agent.tenSeconds(canaryErrors: 0.01, random: &random) }
        let first = try lifecycleCommits()
        #expect(first.count == 1, "\(first)")
        #expect(first.first?.hasPrefix("Lifecycle: 2 versions retired") == true, "\(first)")
        #expect(first.first?.contains("Steward-Lifecycle: customer-support-agent 2.2.0 deprecated→archived (retention.deprecated.maxAge 90d)") == true)
        #expect(first.first?.contains("Steward-Lifecycle: customer-support-agent 2.5.0 development→archived (retention.development.maxAge 30d)") == true)
        #expect(try status("2.2.0") == "archived since \"2027-01-15\"")
        #expect(try status("2.5.0") == "archived since \"2027-01-15\"")
        // The fast-rollback target, the stable, the canary and a version not yet due stay as they were.
        #expect(try status("2.3.0") == "production")
        #expect(try status("2.3.1") == "production")
        #expect(try status("2.4.0") == "candidate")
        #expect(try status("2.6.0") == "development")
        // 2.6.0 was created on 2027-01-10: 30 days on, the next sweep retires it, in a commit of its own.
        _ = agent.clock.advance(seconds: 27 * 86_400)
        for _ in 0..<2 { await agent.tenSeconds(canaryErrors: 0.01, random: &random) }
        let later = try lifecycleCommits()
        #expect(later.count == 2, "\(later)")
        #expect(later.first?.contains("Steward-Lifecycle: customer-support-agent 2.6.0 development→archived (retention.development.maxAge 30d)") == true)
        #expect(try status("2.6.0") == "archived since \"2027-02-11\"")
        #expect(try status("2.4.0") == "candidate" || status("2.4.0").hasPrefix("production"))
    }

    /// A catalog's retirement date within the notice is a warning in the
    /// status report (what `steward status` prints) and on the status page.
    @Test func aBaseModelRetiringSoonIsWarnedOfInTheStatus() async throws {
        let agent = try Agent { work in
            try rewrite(work + "/policies/default.yaml") { text in
                text + "  upgrades:\n    sources:\n      - name: openai\n        catalog:\n"
                    + "          - {name: gpt-4.1-mini, retires: \"2027-01-25\", successor: gpt-4.1}\n"
            }
        }
        await agent.start()
        let report = StatusReport(agent.reconciler.snapshot.value, journal: [])
        #expect(report.retirements == [
            "customer-support-agent 2.2.0: gpt-4.1-mini retires on 2027-01-25 (in 10 days), catalog openai; successor gpt-4.1",
            "customer-support-agent 2.3.0: gpt-4.1-mini retires on 2027-01-25 (in 10 days), catalog openai; successor gpt-4.1",
            "customer-support-agent 2.3.1: gpt-4.1-mini retires on 2027-01-25 (in 10 days), catalog openai; Rollout customer-support-agent runs it; successor gpt-4.1",
        ], "\(report.retirements ?? [])")
        let page = StatusPage(report: report, history: [], now: agent.clock.now, commitURL: nil).html
        #expect(page.contains("base model retiring: customer-support-agent 2.3.1: gpt-4.1-mini retires on 2027-01-25"))
    }

    /// With `tracing.endpoint`, each round is a trace exported over
    /// OTLP/HTTP: the round its root, and its fetch, evidence (a span per
    /// provider), plan and commits its children.
    @Test func eachRoundIsATraceExportedOverOTLP() async throws {
        let received = Mutex<[OTLPSpan]>([])
        let collector = try await FakeServer.start { router in
            router.post("v1/traces") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 8 << 20)
                let export = try OTLPExportRequest(serializedBytes: Array(buffer: body))
                received.withLock { $0 += export.resourceSpans.flatMap(\.scopeSpans).flatMap(\.spans) }
                return Response(status: .ok)
            }
        }
        defer { collector.stop() }
        let agent = try Agent()
        try agent.restart { $0.tracingEndpoint = collector.address }
        await agent.start()
        var random = SeededRandom(seed: 3)
        for _ in 0..<3 { await agent.tenSeconds(canaryErrors: 0.01, random: &random) }
        // Exports leave after each round, in a task of their own.
        for _ in 0..<100 where received.withLock({ $0.filter { $0.name == "reconcile round" }.count }) < 4 { try await Task.sleep(for: .milliseconds(50)) }
        let spans = received.withLock { $0 }
        let roots = spans.filter { $0.name == "reconcile round" && $0.parentSpanID.isEmpty }
        #expect(roots.count >= 4, "\(spans.map(\.name))")
        let first = try #require(roots.first { root in spans.contains { $0.traceID == root.traceID && $0.name == "action writeStatus" } })
        let children = spans.filter { $0.traceID == first.traceID && $0.parentSpanID == first.spanID }.map(\.name)
        #expect(Set(["fetch", "gather evidence", "plan", "commit"]).isSubset(of: children), "\(children)")
        // Once a canary runs, the evidence asks its providers, each in a span of its own.
        let asked = spans.filter { $0.name == "gather evidence" }.filter { evidence in
            spans.contains { $0.traceID == evidence.traceID && $0.parentSpanID == evidence.spanID && $0.name == "provider ingest" }
        }
        #expect(!asked.isEmpty, "\(spans.map(\.name))")
        #expect(spans.allSatisfy { $0.endTimeUnixNano >= $0.startTimeUnixNano && $0.startTimeUnixNano > 0 })
    }

    @Test func budgetPeriodsStartAtTheUTCDayWeekAndMonth() {
        let wednesday = Date(timeIntervalSince1970: 1_799_193_600 + 15 * 3600 + 1800)  // 2027-01-06T15:30:00Z
        #expect(Reconciler.periodStart(.day, of: wednesday) == 1_799_193_600)
        #expect(Reconciler.periodStart(.week, of: wednesday) == 1_799_020_800)  // Monday 2027-01-04
        #expect(Reconciler.periodStart(.month, of: wednesday) == 1_798_761_600)  // 2027-01-01
    }

    static let healthChecks = "  healthChecks: {noTraffic: {after: 1m}, sampleRatio: {}}\n"

    /// The rollout's status after two minutes of traffic that gives the canary `routed` of its share.
    static func statusAfterTwoMinutes(_ agent: Agent, routed: Double, random: inout SeededRandom) async throws -> RolloutStatus {
        await agent.start()
        for _ in 0..<12 { await agent.tenSeconds(canaryErrors: 0.01, random: &random, routed: routed) }
        return try #require(agent.reconciler.snapshot.value.statuses["customer-support-agent"])
    }

    /// A gateway that ignores the routing table: the canary gets nothing, and the rollout pauses, saying so, after the grace.
    @Test func aCanaryThatGetsNoRequestsPausesAndSaysWhy() async throws {
        let agent = try Agent(rolloutExtra: Self.healthChecks)
        var random = SeededRandom(seed: 17)
        let status = try await Self.statusAfterTwoMinutes(agent, routed: 0, random: &random)
        #expect(status.phase == .paused && status.pauseReason?.hasPrefix("no traffic: the canary served no request in 1m") == true
                && status.canaryWeight == 20, "\(status.phase) \(status.pauseReason ?? "")")
        // The gateway is fixed: the pause lifts by itself and the walk goes on.
        try await agent.run(100, canaryErrors: 0.01, random: &random, until: agent.promoted)
        #expect(try agent.promoted())
    }

    /// A gateway that sends the canary half its share: a sample-ratio mismatch, paused with the figures.
    @Test func aCanaryGettingHalfItsShareIsPausedWithTheFigures() async throws {
        let agent = try Agent(rolloutExtra: Self.healthChecks)
        var random = SeededRandom(seed: 18)
        let status = try await Self.statusAfterTwoMinutes(agent, routed: 0.5, random: &random)
        #expect(status.phase == .paused && status.pauseReason?.contains("(10%) at a weight of 20%") == true, "\(status.pauseReason ?? "")")
    }
}
