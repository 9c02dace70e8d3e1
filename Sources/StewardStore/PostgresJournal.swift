import Foundation
import PostgresNIO
import StewardEngine

/// The journal in the shared PostgreSQL database (see `ActionJournal`): one
/// table for every replica, each entry naming the replica that took it and
/// the term it held its shard under. An action whose fence is not the
/// shard's current lease is refused, so a replica cut off or paused past
/// its lease journals nothing more.
final class PostgresJournal: ActionJournal {
    private let database: PostgresDatabase
    private let agent: String

    init(database: PostgresDatabase, agent: String) {
        self.database = database
        self.agent = agent
    }

    func begin(rollout: String, kind: Action.Kind, action: String, revision: String, at time: Date, fence: Fence?) async throws -> Int64 {
        let created = time.timeIntervalSince1970, agent = self.agent
        guard let fence else {
            return try await database.query("""
                INSERT INTO journal (rollout, kind, action, agent, revision, state, created)
                VALUES (\(rollout), \(kind.rawValue), \(action), \(agent), \(revision), 'pending', \(created)) RETURNING id
                """)[0].decode(Int64.self)
        }
        let rows = try await database.query("""
            INSERT INTO journal (rollout, kind, action, agent, revision, state, created, shard, term)
            SELECT \(rollout), \(kind.rawValue), \(action), \(agent), \(revision), 'pending', \(created), \(fence.shard), \(fence.term)
            WHERE EXISTS (SELECT 1 FROM lease WHERE shard = \(fence.shard) AND holder = \(fence.replica) AND term = \(fence.term) AND expires > now())
            RETURNING id
            """)
        guard let row = rows.first else { throw StaleTerm(fence: fence, what: "journalling \(action) of \(rollout)") }
        return try row.decode(Int64.self)
    }

    func finish(_ id: Int64, status: RolloutStatus?, commit: String?, why: String?) async throws {
        let json = try JournalEntry.json(status)
        try await database.query("UPDATE journal SET state = 'done', detail = \(why), status = \(json), \"commit\" = \(commit) WHERE id = \(id)")
    }

    func fail(_ id: Int64, reason: String) async throws {
        try await database.query("UPDATE journal SET state = 'failed', detail = \(reason) WHERE id = \(id)")
    }

    func weightHistory(since: Date, limit: Int) async throws -> [WeightPoint] {
        try await database.query("""
            SELECT rollout, created, canary, weight FROM (
              SELECT id, rollout, created, status::jsonb ->> 'canary' AS canary, COALESCE((status::jsonb ->> 'canaryWeight')::int, 0) AS weight
              FROM journal WHERE kind = 'setWeights' AND state = 'done' AND status IS NOT NULL AND created >= \(since.timeIntervalSince1970)
              ORDER BY id DESC LIMIT \(limit)) AS latest
            ORDER BY created, id
            """).map { row in
            let (rollout, created, canary, weight) = try row.decode((String, Double, String?, Int).self)
            return WeightPoint(rollout: rollout, time: Date(timeIntervalSince1970: created), canary: canary, weight: weight)
        }
    }

    func latestStatuses() async throws -> [String: RolloutStatus] {
        var result: [String: RolloutStatus] = [:]
        for row in try await database.query("""
            SELECT DISTINCT ON (rollout) rollout, status FROM journal WHERE state = 'done' AND status IS NOT NULL ORDER BY rollout, id DESC
            """) {
            let (rollout, json) = try row.decode((String, String).self)
            result[rollout] = JournalEntry.status(fromJSON: json)
        }
        return result
    }

    func pending() async throws -> [JournalEntry] {
        try await entries(try await database.query("SELECT \(unescaped: Self.columns) FROM journal WHERE state = 'pending' AND agent = \(agent) ORDER BY id DESC LIMIT 1000"))
    }

    func recent(_ limit: Int) async throws -> [JournalEntry] {
        try await entries(try await database.query("SELECT \(unescaped: Self.columns) FROM journal ORDER BY id DESC LIMIT \(limit)"))
    }

    func settlePending(_ note: String) async throws {
        try await database.query("UPDATE journal SET state = 'done', detail = \(note) WHERE state = 'pending' AND agent = \(agent)")
    }

    private static let columns = "id, rollout, kind, action, agent, revision, state, detail, created, \"commit\", status"

    private func entries(_ rows: [PostgresRow]) async throws -> [JournalEntry] {
        try rows.map { row in
            let (id, rollout, kind, action, agent, revision, state, detail, created, commit, status) =
                try row.decode((Int64, String, String?, String, String?, String, String, String?, Double, String?, String?).self)
            return JournalEntry(id: id, rollout: rollout, kind: kind.flatMap(Action.Kind.init(rawValue:)), action: action, agent: agent,
                                revision: revision, state: state, detail: detail, created: Date(timeIntervalSince1970: created),
                                commit: commit, statusJSON: status)
        }
    }
}
