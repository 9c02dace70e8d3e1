import Foundation
import GRDB
import StewardEngine

/// Every action the agent takes is written here before it runs and marked
/// when it has run, so that a restarted agent knows what was in flight and
/// re-checks it against git before doing anything again. Each finished
/// action keeps the rollout's status as it left it, in the same shape as the
/// status file, so that a restart keeps the evidence judged so far (which git
/// holds only at transitions).
public final class ActionJournal: Sendable {
    private let database: DatabaseQueue

    /// One journalled action.
    public struct Entry: Sendable, Hashable {
        public var id: Int64
        public var rollout: String
        public var action: String
        /// The desired revision the action was planned on.
        public var revision: String
        /// `pending`, `done` or `failed`.
        public var state: String
        /// Why it was taken, or why it failed.
        public var detail: String?
        public var created: Date
        /// The commit the action made, if it made one.
        public var commit: String?
        /// The status as stored; decoded only when asked for (`/v1/status` lists entries without it).
        var statusJSON: String?
        /// The rollout's status once the action had run.
        public var status: RolloutStatus? { statusJSON.flatMap(ActionJournal.status(fromJSON:)) }
    }

    /// A stored status; nil when this agent cannot read it (a newer one wrote it): git's is used then.
    static func status(fromJSON json: String) -> RolloutStatus? {
        try? JSONDecoder().decode(RolloutStatus.self, from: Data(json.utf8))
    }

    init(database: DatabaseQueue) {
        self.database = database
    }

    /// Records an action about to run; returns its id.
    public func begin(rollout: String, action: String, revision: String) throws -> Int64 {
        try database.write { db in
            try db.execute(sql: "INSERT INTO journal (rollout, action, revision, state, created) VALUES (?, ?, ?, 'pending', ?)",
                           arguments: [rollout, action, revision, Date().timeIntervalSince1970])
            return db.lastInsertedRowID
        }
    }

    /// Marks an action as run, with the status it left, the commit it made
    /// and why it was taken (a rollback's evidence, say).
    public func finish(_ id: Int64, status: RolloutStatus? = nil, commit: String? = nil, why: String? = nil) throws {
        let json = try status.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try database.write { db in
            try db.execute(sql: "UPDATE journal SET state = 'done', detail = ?, status = ?, \"commit\" = ? WHERE id = ?",
                           arguments: [why, json, commit, id])
        }
    }

    /// Marks an action as failed, with why.
    public func fail(_ id: Int64, reason: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE journal SET state = 'failed', detail = ? WHERE id = ?", arguments: [reason, id])
        }
    }

    /// A rollout's canary weight from some moment on.
    public struct WeightPoint: Sendable, Hashable {
        public var rollout: String
        public var time: Date
        public var canary: String?
        public var weight: Int
    }

    /// Every traffic change since `since`, oldest first (at most `limit`, the
    /// newest kept): the status page's chart. Read from the stored statuses
    /// by SQLite's JSON functions, so no status is decoded whole.
    public func weightHistory(since: Date, limit: Int = 5000) throws -> [WeightPoint] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM (
                  SELECT rollout, created, json_extract(status, '$.canary') AS canary,
                         json_extract(status, '$.canaryWeight') AS weight
                  FROM journal
                  WHERE state = 'done' AND status IS NOT NULL AND action LIKE 'setWeights%' AND created >= ?
                  ORDER BY id DESC LIMIT ?)
                ORDER BY created
                """, arguments: [since.timeIntervalSince1970, limit]).map { row in
                WeightPoint(rollout: row["rollout"], time: Date(timeIntervalSince1970: row["created"]),
                            canary: row["canary"], weight: row["weight"] ?? 0)
            }
        }
    }

    /// Each rollout's status as its latest finished action left it.
    public func latestStatuses() throws -> [String: RolloutStatus] {
        try database.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT rollout, status FROM journal WHERE id IN
                  (SELECT MAX(id) FROM journal WHERE state = 'done' AND status IS NOT NULL GROUP BY rollout)
                """)
            var result: [String: RolloutStatus] = [:]
            for row in rows { result[row["rollout"]] = Self.status(fromJSON: row["status"]) }
            return result
        }
    }

    /// Actions begun and never finished: a crash happened while they ran.
    public func pending() throws -> [Entry] {
        try entries(where: "state = 'pending'")
    }

    /// The latest actions, newest first.
    public func recent(_ limit: Int = 50) throws -> [Entry] {
        try entries(where: "1 = 1", limit: limit)
    }

    /// Closes pending entries after they were re-checked.
    public func settlePending(_ note: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE journal SET state = 'done', detail = ? WHERE state = 'pending'", arguments: [note])
        }
    }

    private func entries(where condition: String, limit: Int = 1000) throws -> [Entry] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM journal WHERE \(condition) ORDER BY id DESC LIMIT \(limit)").map { row in
                Entry(id: row["id"], rollout: row["rollout"], action: row["action"], revision: row["revision"],
                      state: row["state"], detail: row["detail"], created: Date(timeIntervalSince1970: row["created"]),
                      commit: row["commit"], statusJSON: row["status"])
            }
        }
    }
}

/// The agent's local state: one SQLite file holding the outcomes, the journal and the providers' windows.
public final class AgentStore: Sendable {
    public let outcomes: OutcomeStore
    public let journal: ActionJournal
    public let readings: ProviderReadings

    /// Opens (or creates) the database at `path`.
    public init(path: String) throws {
        let database = path == ":memory:" ? try DatabaseQueue() : try DatabaseQueue(path: path)
        try StoreSchema.migrator.migrate(database)
        outcomes = OutcomeStore(database: database)
        journal = ActionJournal(database: database)
        readings = ProviderReadings(database: database)
    }
}
