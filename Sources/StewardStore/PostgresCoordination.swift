import Foundation
import Logging
import PostgresNIO
import StewardRouting

/// Leases, routes and stops in the shared PostgreSQL database (see
/// `ReplicaCoordination`). Every check of a lease is made by the database's
/// clock (`now()`), in the same transaction as the write it guards.
final class PostgresCoordination: ReplicaCoordination {
    private let database: PostgresDatabase

    init(database: PostgresDatabase) {
        self.database = database
    }

    func claim(replica: String, host: String, shards: Int, duration: TimeInterval) async throws -> [LeaseGrant] {
        let logger = database.logger
        return try await database.transaction { connection in
            @discardableResult func rows(_ query: PostgresQuery) async throws -> [PostgresRow] { try await connection.query(query, logger: logger).collect() }
            try await rows("""
                INSERT INTO replica (id, host, seen) VALUES (\(replica), \(host), now())
                ON CONFLICT (id) DO UPDATE SET host = excluded.host, seen = now()
                """)
            try await rows("INSERT INTO lease (shard) SELECT generate_series(0, \(shards - 1)) ON CONFLICT DO NOTHING")
            let alive = try await rows("SELECT count(*) FROM replica WHERE seen > now() - make_interval(secs => \(duration))")[0].decode(Int.self)
            let share = (shards + max(alive, 1) - 1) / max(alive, 1)
            // Held and unexpired, lowest shards first: renewed up to the share, the rest left to expire.
            let held = try await rows("""
                SELECT shard FROM lease WHERE holder = \(replica) AND expires > now() ORDER BY shard FOR UPDATE
                """).map { try $0.decode(Int.self) }
            let keep = Array(held.prefix(share))
            var grants = try await rows("""
                UPDATE lease SET expires = now() + make_interval(secs => \(duration)), host = \(host)
                WHERE holder = \(replica) AND shard = ANY(\(keep)) RETURNING shard, term
                """).map(Self.grant)
            let wanted = share - keep.count
            if wanted > 0 {
                // Expired shards (a replica gone, or one that gave them up), each under a new term.
                grants += try await rows("""
                    UPDATE lease SET holder = \(replica), host = \(host), term = term + 1, expires = now() + make_interval(secs => \(duration))
                    WHERE shard IN (SELECT shard FROM lease WHERE expires <= now() ORDER BY shard LIMIT \(wanted) FOR UPDATE SKIP LOCKED)
                    RETURNING shard, term
                    """).map(Self.grant)
            }
            return grants.sorted { $0.shard < $1.shard }
        }
    }

    private static func grant(_ row: PostgresRow) throws -> LeaseGrant {
        let (shard, term) = try row.decode((Int, Int64).self)
        return LeaseGrant(shard: shard, term: term)
    }

    func release(replica: String) async throws {
        let logger = database.logger
        try await database.transaction { connection in
            try await connection.query("UPDATE lease SET expires = now() WHERE holder = \(replica) AND expires > now()", logger: logger)
            try await connection.query("DELETE FROM replica WHERE id = \(replica)", logger: logger)
        }
    }

    func leases() async throws -> [ShardLease] {
        try await database.query("SELECT shard, holder, host, term, expires FROM lease ORDER BY shard").map { row in
            let (shard, holder, host, term, expires) = try row.decode((Int, String?, String?, Int64, Date).self)
            return ShardLease(shard: shard, holder: holder, host: host, term: term, expires: expires)
        }
    }

    func publish(_ routes: [FencedRoute]) async throws -> Bool {
        guard !routes.isEmpty else { return false }
        let logger = database.logger
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let encoded = try routes.map { ($0, String(decoding: try encoder.encode($0.route), as: UTF8.self)) }
        return try await database.transaction { connection in
            for fence in Set(routes.map(\.fence)) { try await Self.check(fence, on: connection, logger: logger, "publishing routes") }
            var changed = false
            for (fenced, json) in encoded {
                // A row written under a later term is never overwritten by an earlier one.
                let written = try await connection.query("""
                    INSERT INTO route (model, shard, term, revision, route)
                    VALUES (\(fenced.route.model), \(fenced.fence.shard), \(fenced.fence.term), \(fenced.revision), \(json))
                    ON CONFLICT (model) DO UPDATE SET shard = excluded.shard, term = excluded.term, revision = excluded.revision, route = excluded.route
                    WHERE (route.shard <> excluded.shard OR route.term <= excluded.term)
                      AND (route.route <> excluded.route OR route.revision <> excluded.revision OR route.shard <> excluded.shard)
                    RETURNING 1
                    """, logger: logger).collect()
                changed = changed || !written.isEmpty
            }
            if changed { try await connection.query("UPDATE route_generation SET value = value + 1 WHERE id = 1", logger: logger) }
            return changed
        }
    }

    func retire(_ models: [String], fence: Fence) async throws {
        guard !models.isEmpty else { return }
        let logger = database.logger
        try await database.transaction { connection in
            try await Self.check(fence, on: connection, logger: logger, "removing routes")
            let gone = try await connection.query("DELETE FROM route WHERE shard = \(fence.shard) AND model = ANY(\(models)) RETURNING 1", logger: logger).collect()
            if !gone.isEmpty { try await connection.query("UPDATE route_generation SET value = value + 1 WHERE id = 1", logger: logger) }
        }
    }

    /// Throws ``StaleTerm`` unless the fence is its shard's current, unexpired lease (the row kept locked till the transaction ends).
    private static func check(_ fence: Fence, on connection: PostgresConnection, logger: Logger, _ what: String) async throws {
        let holds = try await connection.query("""
            SELECT 1 FROM lease WHERE shard = \(fence.shard) AND holder = \(fence.replica) AND term = \(fence.term) AND expires > now() FOR SHARE
            """, logger: logger).collect()
        if holds.isEmpty { throw StaleTerm(fence: fence, what: what) }
    }

    func routesGeneration() async throws -> Int64 {
        try await database.query("SELECT value FROM route_generation WHERE id = 1")[0].decode(Int64.self)
    }

    func routes() async throws -> (generation: Int64, routes: [SharedRoute]) {
        let logger = database.logger
        let decoder = JSONDecoder()
        return try await database.transaction { connection in
            let generation = try await connection.query("SELECT value FROM route_generation WHERE id = 1", logger: logger).collect()[0].decode(Int64.self)
            var routes: [SharedRoute] = []
            for try await (json, shard, term, revision) in try await connection.query(
                "SELECT route, shard, term, revision FROM route ORDER BY model", logger: logger).decode((String, Int, Int64, String).self) {
                routes.append(SharedRoute(route: try decoder.decode(ModelRoute.self, from: Data(json.utf8)), shard: shard, term: term, revision: revision))
            }
            return (generation, routes)
        }
    }

    func requestStop(_ stop: StopRequest) async throws {
        let logger = database.logger
        try await database.transaction { connection in
            try await connection.query("""
                INSERT INTO stop_request (rollout, model, version, replica) VALUES (\(stop.rollout), \(stop.model), \(stop.version), \(stop.replica))
                ON CONFLICT (rollout) DO UPDATE SET model = excluded.model, version = excluded.version, replica = excluded.replica
                """, logger: logger)
            try await connection.query("UPDATE route_generation SET value = value + 1 WHERE id = 1", logger: logger)
        }
    }

    func stopRequests() async throws -> [StopRequest] {
        try await database.query("SELECT rollout, model, version, replica FROM stop_request ORDER BY rollout").map { row in
            let (rollout, model, version, replica) = try row.decode((String, String, String, String).self)
            return StopRequest(rollout: rollout, model: model, version: version, replica: replica)
        }
    }

    func clearStop(rollout: String) async throws {
        let logger = database.logger
        try await database.transaction { connection in
            let gone = try await connection.query("DELETE FROM stop_request WHERE rollout = \(rollout) RETURNING 1", logger: logger).collect()
            if !gone.isEmpty { try await connection.query("UPDATE route_generation SET value = value + 1 WHERE id = 1", logger: logger) }
        }
    }
}
