import Foundation
import GRDB
import StewardEngine

/// The outcome buckets in the agent's SQLite file (see `OutcomeStore`):
/// one row per bucket and agent, each agent adding to its own rows only,
/// every agent's rows summed when a span is tallied.
final class SQLiteOutcomes: OutcomeStore {
    private let database: DatabaseQueue
    private let agent: String

    init(database: DatabaseQueue, agent: String) {
        self.database = database
        self.agent = agent
    }

    func record(tallies buckets: [BucketKey: OutcomeTally]) async throws {
        let agent = self.agent
        try await database.write { db in
            for (key, tally) in buckets {
                var merged = tally
                if let row = try Row.fetchOne(db, sql: "SELECT * FROM outcome_bucket WHERE model = ? AND version = ? AND start = ? AND agent = ?",
                                              arguments: [key.model, key.version, key.start, agent]) {
                    merged.add(BucketCodec.tally(from: row))
                }
                let values: [(any DatabaseValueConvertible)?] = [key.model, key.version, key.start, agent] + BucketCodec.values(merged)
                try db.execute(sql: """
                    INSERT OR REPLACE INTO outcome_bucket (model, version, start, agent, \(BucketCodec.columns.joined(separator: ", ")))
                    VALUES (?, ?, ?, ?, \(Array(repeating: "?", count: BucketCodec.columns.count).joined(separator: ", ")))
                    """, arguments: StatementArguments(values))
            }
        }
    }

    func tally(model: String, version: String, from: Double, to: Double) async throws -> OutcomeTally {
        try await database.read { db in
            var total = OutcomeTally()
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM outcome_bucket WHERE model = ? AND version = ? AND start >= ? AND start < ?",
                                           arguments: [model, version, Int64(from.rounded(.down)), Int64(to.rounded(.down))])
            while let row = try rows.next() { total.add(BucketCodec.tally(from: row)) }
            return total
        }
    }

    /// Every span in one read, with one prepared statement.
    func tallies(_ spans: [TallySpan]) async throws -> [OutcomeTally] {
        try await database.read { db in
            let statement = try db.cachedStatement(sql: "SELECT * FROM outcome_bucket WHERE model = ? AND version = ? AND start >= ? AND start < ?")
            return try spans.map { span in
                var total = OutcomeTally()
                let rows = try Row.fetchCursor(statement, arguments: [span.model, span.version, Int64(span.from.rounded(.down)), Int64(span.to.rounded(.down))])
                while let row = try rows.next() { total.add(BucketCodec.tally(from: row)) }
                return total
            }
        }
    }

    func prune(before: Double) async throws -> Int {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM outcome_bucket WHERE start < ?", arguments: [Int64(before)])
            return db.changesCount
        }
    }
}
