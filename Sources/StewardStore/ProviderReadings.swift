import GRDB
import StewardEngine
import StewardSpec

/// The windows read from providers that only know "now" (the HTTP JSON
/// provider): each answer kept as the window that just ended, so that the
/// engine can pool every window since the canary's exposure began, and a
/// restarted agent still has them.
public final class ProviderReadings: Sendable {
    private let database: DatabaseQueue

    init(database: DatabaseQueue) {
        self.database = database
    }

    /// Keeps a window (a NaN is kept as one: the engine holds on it, never pools it).
    public func record(_ reading: MetricReading, model: String) throws {
        guard case .windows(_, let sum, _, let samples) = reading.statistics else { return }
        try database.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO provider_reading (metric, model, version, window_start, window_end, value, samples)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [reading.metric, model, reading.version.description, reading.windowStart.secondsSinceEpoch,
                                 reading.windowEnd.secondsSinceEpoch, sum.isNaN ? nil : sum, samples])
        }
    }

    /// The windows of a metric of a version inside `from...to`, oldest first.
    public func windows(metric: String, model: String, version: SemanticVersion, from: Moment, to: Moment) throws -> [MetricReading] {
        try database.read { db in
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

    /// When the latest window of a metric of a version ended, if any was read.
    public func latestEnd(metric: String, model: String, version: SemanticVersion) throws -> Moment? {
        try database.read { db in
            try Double.fetchOne(db, sql: "SELECT MAX(window_end) FROM provider_reading WHERE metric = ? AND model = ? AND version = ?",
                                arguments: [metric, model, version.description]).map(Moment.init(secondsSinceEpoch:))
        }
    }

    /// Drops windows that ended before `before`; returns how many.
    @discardableResult
    public func prune(before: Double) throws -> Int {
        try database.write { db in
            try db.execute(sql: "DELETE FROM provider_reading WHERE window_end < ?", arguments: [before])
            return db.changesCount
        }
    }
}
