import Foundation
import Testing
import StewardEngine
import StewardSpec
import GRDB
import Logging
import StewardTesting
@testable import StewardStore

/// Every `AgentStore` keeps one contract: these tests run against a real
/// SQLite file and against the in-memory store. "Opened again" is a new
/// connection to the same file for SQLite, the same object in memory.
enum Backend: CaseIterable, CustomStringConvertible {
    case sqlite, memory, postgres

    var description: String { self == .sqlite ? "SQLite" : self == .memory ? "memory" : "PostgreSQL" }

    /// A new empty store, a way to open it again, and what to clean up.
    func open() async throws -> (store: any AgentStore, reopen: () async throws -> any AgentStore, cleanUp: () -> Void) {
        let (store, reopen, cleanUp) = try await openShared()
        return (try await store("steward"), { try await reopen("steward") }, cleanUp)
    }

    /// The same, for agents by name sharing one store: what one writes, another reads.
    func openShared() async throws -> (store: (String) async throws -> any AgentStore, reopen: (String) async throws -> any AgentStore, cleanUp: () -> Void) {
        switch self {
        case .sqlite:
            let path = NSTemporaryDirectory() + "steward-store-" + UUID().uuidString + ".sqlite"
            return ({ try SQLiteAgentStore(path: path, agent: $0) }, { try SQLiteAgentStore(path: path, agent: $0) },
                    { try? FileManager.default.removeItem(atPath: path) })
        case .memory:
            let store = MemoryAgentStore()
            return ({ store.asAgent($0) }, { store.asAgent($0) }, {})
        case .postgres:
            let settings = try TestDatabase.fresh()
            let open: (String) async throws -> any AgentStore = {
                try await PostgresAgentStore(settings: settings, agent: $0, logger: Logger(label: "test"))
            }
            return (open, open, {})
        }
    }
}

/// The test process's PostgreSQL cluster, started at the first test that
/// needs it and stopped by its pid when the process exits; each test has a
/// database of its own in it.
enum TestDatabase {
    static let server: Result<PostgresServer, any Error> = {
        let result = Result { try PostgresServer() }
        atexit { if case .success(let server) = TestDatabase.server { server.stop() } }
        return result
    }()

    /// A new, empty database.
    static func fresh() throws -> PostgresSettings {
        let server = try server.get()
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try server.createDatabase(name)
        return try PostgresSettings.parse(server.url(database: name)).get()
    }
}

/// The ingest store: buckets of ten seconds, exact pooling.
@Suite struct OutcomeStoreTests {
    @Test(arguments: Backend.allCases) func outcomesPoolExactlyOverAnyRangeOfBuckets(_ backend: Backend) async throws {
        let (store, reopen, cleanUp) = try await backend.open()
        defer { cleanUp() }
        let start = 1_800_000_000.0
        var outcomes: [Outcome] = []
        for i in 0..<600 {
            // One request a tenth of a second for a minute; every tenth fails; latency grows with i.
            outcomes.append(Outcome(model: "m", version: "1.0.0", time: start + Double(i) / 10, latencyMs: Double(100 + i), ok: i % 10 != 0,
                                    inputTokens: 10, outputTokens: 5, cost: 0.001, rating: i % 2 == 0 ? 4 : nil,
                                    hallucination: i % 100 == 0, safetyViolation: false))
        }
        // In two batches, so that buckets are merged on disk.
        try await store.outcomes.record(Array(outcomes[..<250]))
        try await store.outcomes.record(Array(outcomes[250...]))
        let all = try await store.outcomes.tally(model: "m", version: "1.0.0", from: start, to: start + 60)
        #expect(all.requests == 600 && all.errors == 60)
        #expect(all.hallucinationChecks == 600 && all.hallucinations == 6)
        #expect(all.rating.count == 300 && all.rating.sum == 1200)
        #expect(all.tokens.sum == 600 * 15)
        #expect(abs((all.latency.quantile(0.95) ?? 0) - 670) <= 7)  // within 1%
        // The first 30 seconds: three buckets, 300 requests.
        let half = try await store.outcomes.tally(model: "m", version: "1.0.0", from: start, to: start + 30)
        #expect(half.requests == 300)
        #expect(try await store.outcomes.tally(model: "m", version: "2.0.0", from: start, to: start + 60).requests == 0)
        // Many spans at once (one query across the network) tally as each alone.
        let spans = [TallySpan(model: "m", version: "1.0.0", from: start, to: start + 60), TallySpan(model: "m", version: "1.0.0", from: start + 10, to: start + 30),
                     TallySpan(model: "m", version: "2.0.0", from: start, to: start + 60), TallySpan(model: "other", version: "1.0.0", from: start, to: start + 60)]
        let together = try await store.outcomes.tallies(spans)
        #expect(together.map(\.requests) == [600, 200, 0, 0] && together[0].errors == 60 && together[1].rating.count == 100)
        #expect(together[0].latency.quantile(0.95) == all.latency.quantile(0.95))
        // Reopening the file finds the same.
        #expect(try await reopen().outcomes.tally(model: "m", version: "1.0.0", from: start, to: start + 60).errors == 60)
        // Retention drops old buckets.
        #expect(try await store.outcomes.prune(before: start + 30) == 3)
        #expect(try await store.outcomes.tally(model: "m", version: "1.0.0", from: start, to: start + 60).requests == 300)
    }

    @Test func badOutcomesSayWhy() {
        let good = Outcome(model: "m", version: "1.0.0", time: 1_800_000_000, latencyMs: 10, ok: true)
        #expect(good.problem == nil)
        var bad = good
        bad.latencyMs = .nan
        #expect(bad.problem == "latencyMs must be a number ≥ 0")
        bad = good
        bad.rating = 7
        #expect(bad.problem == "rating must be between 1 and 5")
        bad = good
        bad.version = ""
        #expect(bad.problem == "version is empty")
    }

    @Test(arguments: Backend.allCases) func theJournalRemembersWhatWasInFlight(_ backend: Backend) async throws {
        let (store, reopen, cleanUp) = try await backend.open()
        defer { cleanUp() }
        let done = try await store.journal.begin(rollout: "r", kind: .promote, action: "promote 1.1.0", revision: "abc", at: Date())
        try await store.journal.finish(done)
        _ = try await store.journal.begin(rollout: "r", kind: .rollback, action: "rollback 1.1.0 -> 1.0.0", revision: "def", at: Date())
        // A crash here: a new process finds the rollback pending.
        let pending = try await reopen().journal.pending()
        #expect(pending.map(\.action) == ["rollback 1.1.0 -> 1.0.0"])
        try await store.journal.settlePending("re-checked")
        #expect(try await store.journal.pending().isEmpty)
        #expect(try await store.journal.recent(50).map(\.state) == ["done", "done"])
    }

    /// Several agents on one store: a restarted agent re-checks its own
    /// unfinished actions, never another's (that one may be running them).
    @Test(arguments: Backend.allCases) func eachAgentReChecksOnlyItsOwnUnfinishedActions(_ backend: Backend) async throws {
        let (open, reopen, cleanUp) = try await backend.openShared()
        defer { cleanUp() }
        let (a, b) = (try await open("agent-a"), try await open("agent-b"))
        _ = try await a.journal.begin(rollout: "r", kind: .promote, action: "promote 1.1.0", revision: "abc", at: Date())
        _ = try await b.journal.begin(rollout: "s", kind: .rollback, action: "rollback 2.0.0 -> 1.0.0", revision: "abc", at: Date())
        let restarted = try await reopen("agent-a").journal
        #expect(try await restarted.pending().map(\.rollout) == ["r"])
        try await restarted.settlePending("re-checked")
        #expect(try await restarted.pending().isEmpty)
        #expect(try await b.journal.pending().map(\.rollout) == ["s"], "another agent's action was closed")
        let everyone = try await a.journal.recent(10)
        #expect(everyone.map(\.agent) == ["agent-b", "agent-a"] && everyone.map(\.kind) == [.rollback, .promote])
    }

    /// The providers' windows: kept by their end, read back by span, pruned by age.
    @Test(arguments: Backend.allCases) func providerWindowsAreKeptAndReadBySpan(_ backend: Backend) async throws {
        let (store, reopen, cleanUp) = try await backend.open()
        defer { cleanUp() }
        let version = try #require(SemanticVersion("1.0.0"))
        func window(_ end: Double, _ value: Double) -> MetricReading {
            MetricReading(metric: "p95", version: version, windowStart: Moment(secondsSinceEpoch: end - 60),
                          windowEnd: Moment(secondsSinceEpoch: end), value: value, samples: 100)
        }
        for (end, value) in [(1060.0, 0.5), (1120, 0.7), (1180, .nan), (1120, 0.6)] {
            try await store.readings.record(window(end, value), model: "m")
        }
        let kept = try await reopen().readings.windows(metric: "p95", model: "m", version: version,
                                                       from: Moment(secondsSinceEpoch: 1000), to: Moment(secondsSinceEpoch: 1180))
        // The later reading of a window replaces it; a NaN is kept as one.
        #expect(kept.map(\.windowEnd.secondsSinceEpoch) == [1060, 1120, 1180])
        #expect(kept.map(\.samples) == [100, 100, 100])
        if case .windows(_, let sum, _, _) = kept[1].statistics { #expect(sum == 0.6) } else { Issue.record("\(kept[1])") }
        if case .windows(_, let sum, _, _) = kept[2].statistics { #expect(sum.isNaN) } else { Issue.record("\(kept[2])") }
        #expect(try await store.readings.windows(metric: "p95", model: "m", version: version, from: Moment(secondsSinceEpoch: 1001),
                                                 to: Moment(secondsSinceEpoch: 1150)).count == 1)
        #expect(try await store.readings.latestEnd(metric: "p95", model: "m", version: version)?.secondsSinceEpoch == 1180)
        #expect(try await store.readings.latestEnd(metric: "p95", model: "other", version: version) == nil)
        #expect(try await store.readings.prune(before: 1120) == 1)
        #expect(try await store.readings.latestEnd(metric: "p95", model: "m", version: version)?.secondsSinceEpoch == 1180)
    }
}

@Suite struct ActionJournalTests {
    /// A journal written before actions had a kind of their own: the
    /// migration gives each the first word of what it said, so the chart
    /// still finds the traffic changes, and its pending actions (no agent
    /// named) are still re-checked.
    /// Several agents taking outcomes for one bucket: none overwrites another, the tally is the sum.
    @Test(arguments: Backend.allCases) func outcomesFromSeveralAgentsAddUp(_ backend: Backend) async throws {
        let (store, _, cleanUp) = try await backend.openShared()
        defer { cleanUp() }
        var agents: [any AgentStore] = []
        for name in ["a", "b", "c"] { agents.append(try await store(name)) }
        let start = 1_800_000_000.0
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (n, agent) in agents.enumerated() {
                group.addTask {
                    for batch in 0..<20 {
                        let outcomes = (0..<10).map { i in
                            Outcome(model: "m", version: "1.0.0", time: start + Double(batch % 3) + Double(i) / 100, latencyMs: Double(100 * (n + 1)),
                                    ok: i != 0, inputTokens: 1, outputTokens: 1, cost: 0, rating: nil, hallucination: false, safetyViolation: false)
                        }
                        try await agent.outcomes.record(outcomes)
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = try await agents[0].outcomes.tally(model: "m", version: "1.0.0", from: start, to: start + 10)
        #expect(total.requests == 600 && total.errors == 60)
        #expect(total.latency.quantile(0.1).map { abs($0 - 100) <= 1 } == true && total.latency.quantile(0.9).map { abs($0 - 300) <= 3 } == true)
    }

    @Test func bucketsFromBeforeAgentsAreKept() async throws {
        let path = NSTemporaryDirectory() + "steward-store-" + UUID().uuidString + ".sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let start = 1_800_000_000.0
        do {
            let old = try DatabaseQueue(path: path)
            try StoreSchema.migrator.migrate(old, upTo: "v5: each action's kind, and the agent that took it")
            try await old.write { db in
                try db.execute(sql: "INSERT INTO outcome_bucket (model, version, start, requests, errors) VALUES ('m', '1.0.0', ?, 40, 4)",
                               arguments: [Int64(start)])
            }
        }
        let outcomes = try SQLiteAgentStore(path: path, agent: "new").outcomes
        try await outcomes.record([Outcome(model: "m", version: "1.0.0", time: start + 1, latencyMs: 100, ok: false, inputTokens: 1, outputTokens: 1,
                                           cost: 0, rating: nil, hallucination: false, safetyViolation: false)])
        let total = try await outcomes.tally(model: "m", version: "1.0.0", from: start, to: start + 10)
        #expect(total.requests == 41 && total.errors == 5)
    }

    @Test func aJournalFromBeforeKindsIsMigrated() async throws {
        let path = NSTemporaryDirectory() + "steward-store-" + UUID().uuidString + ".sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let stable = try #require(SemanticVersion("1.0.0")), canary = try #require(SemanticVersion("1.1.0"))
        var status = RolloutStatus.starting(canary, over: stable, at: Moment(secondsSinceEpoch: 100))
        status.canaryWeight = 15
        let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
        do {
            let old = try DatabaseQueue(path: path)
            try StoreSchema.migrator.migrate(old, upTo: "v4: windows read from HTTP providers")
            try await old.write { db in
                try db.execute(sql: "INSERT INTO journal (rollout, action, revision, state, created, status) VALUES ('r', 'setWeights 1.1.0 15%', 'abc', 'done', 1000, ?)",
                               arguments: [json])
                try db.execute(sql: "INSERT INTO journal (rollout, action, revision, state, created) VALUES ('r', 'pause', 'abc', 'pending', 1001)")
            }
        }
        let journal = try SQLiteAgentStore(path: path, agent: "new").journal
        #expect(try await journal.recent(10).map(\.kind) == [.pause, .setWeights])
        #expect(try await journal.weightHistory(since: Date(timeIntervalSince1970: 0)).map(\.weight) == [15])
        #expect(try await journal.pending().map(\.action) == ["pause"])
    }

    @Test(arguments: Backend.allCases) func eachFinishedActionKeepsTheStatusItLeftAndTheLatestIsFound(_ backend: Backend) async throws {
        let (store, reopen, cleanUp) = try await backend.open()
        defer { cleanUp() }
        let now = Date()
        let stable = try #require(SemanticVersion("1.0.0")), canary = try #require(SemanticVersion("1.1.0"))
        var status = RolloutStatus.starting(canary, over: stable, at: Moment(secondsSinceEpoch: 100))
        status.canaryWeight = 20
        status.verdicts["error-rate"] = Verdict(metric: "error-rate", outcome: .inconclusive, severity: .critical, value: 0.01,
                                                interval: .init(lower: 0, upper: .infinity), threshold: 0.05, comparison: .above,
                                                relativeToStable: false, samples: 120, samplesNeeded: 80)
        do {
            let journal = store.journal
            let first = try await journal.begin(rollout: "r", kind: .setWeights, action: "setWeights 1.1.0 5%", revision: "abc", at: now)
            try await journal.finish(first, status: .starting(canary, over: stable, at: Moment(secondsSinceEpoch: 50)))
            let second = try await journal.begin(rollout: "r", kind: .setWeights, action: "setWeights 1.1.0 20%", revision: "abc", at: now + 1)
            try await journal.finish(second, status: status, commit: "c0ffee", why: "step 2")
            let failed = try await journal.begin(rollout: "r", kind: .promote, action: "promote 1.1.0", revision: "abc", at: now + 2)
            try await journal.fail(failed, reason: "git unreachable")
            _ = try await journal.begin(rollout: "other", kind: .pause, action: "pause", revision: "abc", at: now + 3)
        }
        // A restarted agent opens the same store.
        let journal = try await reopen().journal
        #expect(try await journal.latestStatuses() == ["r": status])
        #expect(try await journal.pending().map(\.rollout) == ["other"])
        let recent = try await journal.recent(50)
        #expect(recent.map(\.state) == ["pending", "failed", "done", "done"])
        #expect(recent[1].detail == "git unreachable" && recent[2].status == status)
        #expect(recent[2].commit == "c0ffee" && recent[2].detail == "step 2" && recent[3].commit == nil)
        // The chart's history: each traffic change, oldest first, read from the stored statuses.
        let history = try await journal.weightHistory(since: Date(timeIntervalSince1970: 0))
        #expect(history.map(\.weight) == [0, 20] && history.map(\.canary) == ["1.1.0", "1.1.0"] && history.allSatisfy { $0.rollout == "r" })
        #expect(zip(history.map(\.time), [now, now + 1]).allSatisfy { abs($0.timeIntervalSince($1)) < 0.001 }, "the time given, not the store's clock")
        #expect(try await journal.weightHistory(since: now.addingTimeInterval(60)).isEmpty)
        #expect(try await journal.weightHistory(since: now, limit: 1).map(\.weight) == [20], "the newest kept")
    }
}
