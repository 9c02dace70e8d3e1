import Foundation
import PostgresNIO
import StewardEngine
import StewardSpec

/// The outcome buckets in the shared PostgreSQL database (see
/// `OutcomeStore`): as in the SQLite file, one row per bucket and replica,
/// each replica adding to its own rows only (its flushes run one at a
/// time), every replica's rows summed when a span is tallied. An outcome
/// posted to any replica is so counted exactly once.
final class PostgresOutcomes: OutcomeStore {
    private let database: PostgresDatabase
    private let agent: String
    private static let numbers = BucketCodec.columns.dropLast()

    init(database: PostgresDatabase, agent: String) {
        self.database = database
        self.agent = agent
    }

    func record(tallies buckets: [BucketKey: OutcomeTally]) async throws {
        guard !buckets.isEmpty else { return }
        let agent = self.agent, logger = database.logger
        try await database.transaction { connection in
            for (key, tally) in buckets {
                var merged = tally
                let existing = try await connection.query("""
                    SELECT \(unescaped: BucketCodec.columns.joined(separator: ", ")) FROM outcome_bucket
                    WHERE model = \(key.model) AND version = \(key.version) AND start = \(key.start) AND agent = \(agent)
                    """, logger: logger).collect()
                if let row = existing.first { merged.add(try Self.tally(row)) }
                var query = PostgresQuery(unsafeSQL: """
                    INSERT INTO outcome_bucket (model, version, start, agent, \(BucketCodec.columns.joined(separator: ", ")))
                    VALUES (\((1...(4 + BucketCodec.columns.count)).map { "$\($0)" }.joined(separator: ", ")))
                    ON CONFLICT (model, version, start, agent) DO UPDATE SET
                    \(BucketCodec.columns.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
                    """)
                query.binds.append(key.model, context: .default)
                query.binds.append(key.version, context: .default)
                query.binds.append(key.start, context: .default)
                query.binds.append(agent, context: .default)
                for number in BucketCodec.numbers(merged) { query.binds.append(number, context: .default) }
                try query.binds.append(BucketCodec.latencyBlob(merged.latency), context: .default)
                try await connection.query(query, logger: logger)
            }
        }
    }

    func tally(model: String, version: String, from: Double, to: Double) async throws -> OutcomeTally {
        var total = OutcomeTally()
        for row in try await database.query("""
            SELECT \(unescaped: BucketCodec.columns.joined(separator: ", ")) FROM outcome_bucket
            WHERE model = \(model) AND version = \(version) AND start >= \(Int64(from.rounded(.down))) AND start < \(Int64(to.rounded(.down)))
            """) {
            total.add(try Self.tally(row))
        }
        return total
    }

    /// Every span in one query: the buckets of all the versions asked about
    /// over the whole range, summed per span here.
    func tallies(_ spans: [TallySpan]) async throws -> [OutcomeTally] {
        guard let from = spans.map(\.from).min(), let to = spans.map(\.to).max() else { return [] }
        let pairs = Array(Set(spans.map { [$0.model, $0.version] }))
        var buckets: [[String]: [(start: Double, tally: OutcomeTally)]] = [:]
        for row in try await database.query("""
            SELECT model, version, start, \(unescaped: BucketCodec.columns.joined(separator: ", ")) FROM outcome_bucket
            WHERE (model, version) IN (SELECT * FROM unnest(\(pairs.map { $0[0] })::text[], \(pairs.map { $0[1] })::text[]))
              AND start >= \(Int64(from.rounded(.down))) AND start < \(Int64(to.rounded(.down)))
            """) {
            let cells = row.makeRandomAccess()
            let key = [try cells["model"].decode(String.self), try cells["version"].decode(String.self)]
            buckets[key, default: []].append((Double(try cells["start"].decode(Int64.self)), try Self.tally(row)))
        }
        return spans.map { span in
            var total = OutcomeTally()
            let (from, to) = (span.from.rounded(.down), span.to.rounded(.down))
            for bucket in buckets[[span.model, span.version]] ?? [] where bucket.start >= from && bucket.start < to { total.add(bucket.tally) }
            return total
        }
    }

    func prune(before: Double) async throws -> Int {
        try await database.query("WITH gone AS (DELETE FROM outcome_bucket WHERE start < \(Int64(before)) RETURNING 1) SELECT count(*) FROM gone")[0]
            .decode(Int.self)
    }

    private static func tally(_ row: PostgresRow) throws -> OutcomeTally {
        let cells = row.makeRandomAccess()
        let numbers = try Self.numbers.map { try cells[$0].decode(Double.self) }
        return BucketCodec.tally(numbers: numbers, latency: try cells["latency"].decode(Data?.self))
    }
}

/// The providers' windows in the shared PostgreSQL database (see `ReadingStore`).
final class PostgresReadings: ReadingStore {
    private let database: PostgresDatabase

    init(database: PostgresDatabase) {
        self.database = database
    }

    func record(_ reading: MetricReading, model: String) async throws {
        guard case .windows(_, let sum, _, let samples) = reading.statistics else { return }
        let value: Double? = sum.isNaN ? nil : sum
        try await database.query("""
            INSERT INTO provider_reading (metric, model, version, window_start, window_end, value, samples)
            VALUES (\(reading.metric), \(model), \(reading.version.description), \(reading.windowStart.secondsSinceEpoch),
                    \(reading.windowEnd.secondsSinceEpoch), \(value), \(samples))
            ON CONFLICT (metric, model, version, window_end) DO UPDATE SET
              window_start = excluded.window_start, value = excluded.value, samples = excluded.samples
            """)
    }

    func windows(metric: String, model: String, version: SemanticVersion, from: Moment, to: Moment) async throws -> [MetricReading] {
        try await database.query("""
            SELECT window_start, window_end, value, samples FROM provider_reading
            WHERE metric = \(metric) AND model = \(model) AND version = \(version.description)
              AND window_start >= \(from.secondsSinceEpoch) AND window_end <= \(to.secondsSinceEpoch) ORDER BY window_end
            """).map { row in
            let (start, end, value, samples) = try row.decode((Double, Double, Double?, Double).self)
            return MetricReading(metric: metric, version: version, windowStart: Moment(secondsSinceEpoch: start),
                                 windowEnd: Moment(secondsSinceEpoch: end), statistics: .value(value ?? .nan, samples: samples))
        }
    }

    func latestEnd(metric: String, model: String, version: SemanticVersion) async throws -> Moment? {
        try await database.query("""
            SELECT MAX(window_end) FROM provider_reading WHERE metric = \(metric) AND model = \(model) AND version = \(version.description)
            """)[0].decode(Double?.self).map(Moment.init(secondsSinceEpoch:))
    }

    func prune(before: Double) async throws -> Int {
        try await database.query("WITH gone AS (DELETE FROM provider_reading WHERE window_end < \(before) RETURNING 1) SELECT count(*) FROM gone")[0]
            .decode(Int.self)
    }
}
