import Foundation
import GRDB
import StewardEngine

/// The built-in evidence: request outcomes added up per model, version and
/// bucket of ten seconds, in SQLite, so that any range of time pools
/// exactly (counts, sums and a latency histogram per bucket).
public final class OutcomeStore: Sendable {
    /// Seconds per bucket: a metric's `interval` may be as short as this.
    public static let bucketSeconds = 10.0

    private let database: DatabaseQueue

    /// Opens (or creates) the database at `path`; `":memory:"` for none on disk.
    public init(path: String) throws {
        database = path == ":memory:" ? try DatabaseQueue() : try DatabaseQueue(path: path)
        try StoreSchema.migrator.migrate(database)
    }

    /// Shares another store's database (the journal and the outcomes live in one file).
    init(database: DatabaseQueue) {
        self.database = database
    }

    /// Adds outcomes to their buckets, in one transaction.
    public func record(_ outcomes: [Outcome]) throws {
        var buckets: [BucketKey: OutcomeTally] = [:]
        for outcome in outcomes { outcome.add(to: &buckets[Self.bucket(of: outcome), default: OutcomeTally()]) }
        try record(tallies: buckets)
    }

    /// The bucket an outcome falls in.
    public static func bucket(of outcome: Outcome) -> BucketKey {
        // Clamped: a time past Int64 (1e19, from a client) must never trap the agent.
        let start = (outcome.time / bucketSeconds).rounded(.down) * bucketSeconds
        return BucketKey(model: outcome.model, version: outcome.version, start: Int64(start.isFinite ? min(max(start, 0), 9e18) : 0))
    }

    /// Adds tallies already grouped by bucket, in one transaction.
    public func record(tallies buckets: [BucketKey: OutcomeTally]) throws {
        try database.write { db in
            for (key, tally) in buckets {
                var merged = tally
                if let row = try Row.fetchOne(db, sql: "SELECT * FROM outcome_bucket WHERE model = ? AND version = ? AND start = ?",
                                              arguments: [key.model, key.version, key.start]) {
                    merged.add(BucketCodec.tally(from: row))
                }
                try db.execute(sql: """
                    INSERT OR REPLACE INTO outcome_bucket (model, version, start, \(BucketCodec.columns.joined(separator: ", ")))
                    VALUES (?, ?, ?, \(Array(repeating: "?", count: BucketCodec.columns.count).joined(separator: ", ")))
                    """, arguments: StatementArguments([key.model, key.version, key.start] + BucketCodec.values(merged))!)
            }
        }
    }

    /// Every outcome of a model's version in `from ..< to` (whole buckets), added up.
    public func tally(model: String, version: String, from: Double, to: Double) throws -> OutcomeTally {
        try database.read { db in
            var total = OutcomeTally()
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM outcome_bucket WHERE model = ? AND version = ? AND start >= ? AND start < ?",
                                           arguments: [model, version, Int64(from.rounded(.down)), Int64(to.rounded(.down))])
            while let row = try rows.next() { total.add(BucketCodec.tally(from: row)) }
            return total
        }
    }

    /// Removes buckets older than `before`; returns how many.
    @discardableResult
    public func prune(before: Double) throws -> Int {
        try database.write { db in
            try db.execute(sql: "DELETE FROM outcome_bucket WHERE start < ?", arguments: [Int64(before)])
            return db.changesCount
        }
    }

    /// One model's version over one bucket of time.
    public struct BucketKey: Hashable, Sendable {
        public var model: String
        public var version: String
        /// The bucket's start, in whole seconds since the epoch.
        public var start: Int64
    }
}
