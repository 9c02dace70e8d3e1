import Foundation
import GRDB
import StewardEngine

/// The journal in the agent's SQLite file (see `ActionJournal`).
final class SQLiteJournal: ActionJournal {
    private let database: DatabaseQueue
    private let agent: String

    init(database: DatabaseQueue, agent: String) {
        self.database = database
        self.agent = agent
    }

    func begin(rollout: String, kind: Action.Kind, action: String, revision: String, at time: Date, fence: Fence?) async throws -> Int64 {
        let agent = self.agent
        return try await database.write { db in
            try db.execute(sql: """
                INSERT INTO journal (rollout, kind, action, agent, revision, state, created) VALUES (?, ?, ?, ?, ?, 'pending', ?)
                """, arguments: [rollout, kind.rawValue, action, agent, revision, time.timeIntervalSince1970])
            return db.lastInsertedRowID
        }
    }

    func finish(_ id: Int64, status: RolloutStatus?, commit: String?, why: String?) async throws {
        let json = try JournalEntry.json(status)
        try await database.write { db in
            try db.execute(sql: "UPDATE journal SET state = 'done', detail = ?, status = ?, \"commit\" = ? WHERE id = ?",
                           arguments: [why, json, commit, id])
        }
    }

    func fail(_ id: Int64, reason: String) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE journal SET state = 'failed', detail = ? WHERE id = ?", arguments: [reason, id])
        }
    }

    /// Read from the stored statuses by SQLite's JSON functions, so no status is decoded whole.
    func weightHistory(since: Date, limit: Int) async throws -> [WeightPoint] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM (
                  SELECT rollout, created, json_extract(status, '$.canary') AS canary,
                         json_extract(status, '$.canaryWeight') AS weight
                  FROM journal
                  WHERE kind = 'setWeights' AND state = 'done' AND status IS NOT NULL AND created >= ?
                  ORDER BY id DESC LIMIT ?)
                ORDER BY created
                """, arguments: [since.timeIntervalSince1970, limit]).map { row in
                WeightPoint(rollout: row["rollout"], time: Date(timeIntervalSince1970: row["created"]),
                            canary: row["canary"], weight: row["weight"] ?? 0)
            }
        }
    }

    func latestStatuses() async throws -> [String: RolloutStatus] {
        try await database.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT rollout, status FROM journal WHERE id IN
                  (SELECT MAX(id) FROM journal WHERE state = 'done' AND status IS NOT NULL GROUP BY rollout)
                """)
            var result: [String: RolloutStatus] = [:]
            for row in rows { result[row["rollout"]] = JournalEntry.status(fromJSON: row["status"]) }
            return result
        }
    }

    func pending() async throws -> [JournalEntry] {
        try await entries(where: "state = 'pending' AND (agent = ? OR agent IS NULL)", [agent])
    }

    func recent(_ limit: Int) async throws -> [JournalEntry] {
        try await entries(where: "1 = 1", limit: limit)
    }

    func settlePending(_ note: String) async throws {
        let agent = self.agent
        try await database.write { db in
            try db.execute(sql: "UPDATE journal SET state = 'done', detail = ? WHERE state = 'pending' AND (agent = ? OR agent IS NULL)",
                           arguments: [note, agent])
        }
    }

    private func entries(where condition: String, _ values: [String] = [], limit: Int = 1000) async throws -> [JournalEntry] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM journal WHERE \(condition) ORDER BY id DESC LIMIT ?",
                             arguments: StatementArguments(values.map { $0 as (any DatabaseValueConvertible)? } + [limit])).map { row in
                JournalEntry(id: row["id"], rollout: row["rollout"], kind: (row["kind"] as String?).flatMap(Action.Kind.init(rawValue:)),
                             action: row["action"], agent: row["agent"], revision: row["revision"],
                             state: row["state"], detail: row["detail"], created: Date(timeIntervalSince1970: row["created"]),
                             commit: row["commit"], statusJSON: row["status"])
            }
        }
    }
}

/// The agent's local state in one SQLite file: the outcomes, the journal
/// and the providers' windows, migrated to the current schema on opening.
public final class SQLiteAgentStore: AgentStore {
    public let journal: any ActionJournal
    public let outcomes: any OutcomeStore
    public let readings: any ReadingStore

    /// Opens (or creates) the database at `path` (`":memory:"` for none on
    /// disk) for the agent named `agent`: its journal entries carry the name,
    /// and a restart re-checks only its own.
    public init(path: String, agent: String = "steward") throws {
        var configuration = Configuration()
        // Another connection to the file (a second agent's, a person's sqlite3) is waited for, not failed on.
        configuration.busyMode = .timeout(5)
        let database = path == ":memory:" ? try DatabaseQueue(configuration: configuration) : try DatabaseQueue(path: path, configuration: configuration)
        try StoreSchema.migrator.migrate(database)
        outcomes = SQLiteOutcomes(database: database, agent: agent)
        journal = SQLiteJournal(database: database, agent: agent)
        readings = SQLiteReadings(database: database)
    }
}
