import Foundation
import GRDB

/// Every action the agent takes is written here before it runs and marked
/// when it has run, so that a restarted agent knows what was in flight and
/// re-checks it against git before doing anything again.
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
        public var detail: String?
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

    /// Marks an action as run (or failed, with why).
    public func finish(_ id: Int64, failed reason: String? = nil) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE journal SET state = ?, detail = ? WHERE id = ?",
                           arguments: [reason == nil ? "done" : "failed", reason, id])
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
                      state: row["state"], detail: row["detail"])
            }
        }
    }
}

/// The agent's local state: one SQLite file holding the outcomes and the journal.
public final class AgentStore: Sendable {
    public let outcomes: OutcomeStore
    public let journal: ActionJournal

    /// Opens (or creates) the database at `path`.
    public init(path: String) throws {
        let database = path == ":memory:" ? try DatabaseQueue() : try DatabaseQueue(path: path)
        try StoreSchema.migrator.migrate(database)
        outcomes = OutcomeStore(database: database)
        journal = ActionJournal(database: database)
    }
}
