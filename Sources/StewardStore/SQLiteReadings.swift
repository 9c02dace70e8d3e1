import GRDB
import StewardEngine
import StewardSpec

/// The providers' windows in the agent's SQLite file (see `ReadingStore`).
final class SQLiteReadings: ReadingStore {
    private let database: DatabaseQueue

    init(database: DatabaseQueue) {
        self.database = database
    }

    func record(_ reading: MetricReading, model: String) async throws {
        guard case .windows(_, let sum, _, let samples) = reading.statistics else { return }
        try await database.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO provider_reading (metric, model, version, window_start, window_end, value, samples)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [reading.metric, model, reading.version.description, reading.windowStart.secondsSinceEpoch,
                                 reading.windowEnd.secondsSinceEpoch, sum.isNaN ? nil : sum, samples])
        }
    }

    func windows(metric: String, model: String, version: SemanticVersion, from: Moment, to: Moment) async throws -> [MetricReading] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT window_start, window_end, value, samples FROM provider_reading
                WHERE metric = ? AND model = ? AND version = ? AND window_start >= ? AND window_end <= ? ORDER BY window_end
                """, arguments: [metric, model, version.description, from.secondsSinceEpoch, to.secondsSinceEpoch]).map { row in
                let value: Double? = row["value"]
                return MetricReading(metric: metric, version: version, windowStart: Moment(secondsSinceEpoch: row["window_start"]),
                                     windowEnd: Moment(secondsSinceEpoch: row["window_end"]),
                                     statistics: .value(value ?? .nan, samples: row["samples"]))
            }
        }
    }

    func latestEnd(metric: String, model: String, version: SemanticVersion) async throws -> Moment? {
        try await database.read { db in
            try Double.fetchOne(db, sql: "SELECT MAX(window_end) FROM provider_reading WHERE metric = ? AND model = ? AND version = ?",
                                arguments: [metric, model, version.description]).map(Moment.init(secondsSinceEpoch:))
        }
    }

    func prune(before: Double) async throws -> Int {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM provider_reading WHERE window_end < ?", arguments: [before])
            return db.changesCount
        }
    }
}
