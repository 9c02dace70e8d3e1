import PostgresNIO

/// The PostgreSQL tables, created and evolved by numbered migrations, each
/// applied once and recorded in `steward_migration` (as GRDB's migrator
/// does for the SQLite file).
enum PostgresSchema {
    static let migrations: [(name: String, statements: [String])] = [
        ("v1: the journal, outcomes, readings, and the replicas' leases, routes and stops", [
            """
            CREATE TABLE journal (
              id BIGSERIAL PRIMARY KEY, rollout TEXT NOT NULL, kind TEXT, action TEXT NOT NULL, agent TEXT,
              revision TEXT NOT NULL, state TEXT NOT NULL, detail TEXT, created DOUBLE PRECISION NOT NULL,
              status TEXT, "commit" TEXT, shard BIGINT, term BIGINT)
            """,
            "CREATE INDEX journal_by_rollout ON journal (rollout, id)",
            "CREATE INDEX journal_by_kind ON journal (kind, created)",
            "CREATE INDEX journal_pending ON journal (agent) WHERE state = 'pending'",
            """
            CREATE TABLE outcome_bucket (
              model TEXT NOT NULL, version TEXT NOT NULL, start BIGINT NOT NULL, agent TEXT NOT NULL,
              \(BucketCodec.columns.dropLast().map { "\($0) DOUBLE PRECISION NOT NULL DEFAULT 0" }.joined(separator: ", ")),
              latency BYTEA, PRIMARY KEY (model, version, start, agent))
            """,
            """
            CREATE TABLE provider_reading (
              metric TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, window_start DOUBLE PRECISION NOT NULL,
              window_end DOUBLE PRECISION NOT NULL, value DOUBLE PRECISION, samples DOUBLE PRECISION NOT NULL,
              PRIMARY KEY (metric, model, version, window_end))
            """,
            """
            CREATE TABLE lease (
              shard BIGINT PRIMARY KEY, holder TEXT, host TEXT, term BIGINT NOT NULL DEFAULT 0,
              expires TIMESTAMPTZ NOT NULL DEFAULT 'epoch')
            """,
            "CREATE TABLE replica (id TEXT PRIMARY KEY, host TEXT NOT NULL, seen TIMESTAMPTZ NOT NULL)",
            """
            CREATE TABLE route (
              model TEXT PRIMARY KEY, shard BIGINT NOT NULL, term BIGINT NOT NULL, revision TEXT NOT NULL, route TEXT NOT NULL)
            """,
            "CREATE TABLE route_generation (id INT PRIMARY KEY, value BIGINT NOT NULL)",
            "INSERT INTO route_generation VALUES (1, 0)",
            """
            CREATE TABLE stop_request (
              rollout TEXT PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL, replica TEXT NOT NULL,
              requested TIMESTAMPTZ NOT NULL DEFAULT now())
            """,
        ]),
    ]

    /// Applies the migrations not applied yet, in order, in one transaction
    /// under an advisory lock (replicas started together wait for one another).
    static func migrate(_ database: PostgresDatabase) async throws {
        try await database.transaction { connection in
            let logger = database.logger
            try await connection.query("SELECT pg_advisory_xact_lock(7480748)", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS steward_migration (
                  version INT PRIMARY KEY, name TEXT NOT NULL, applied TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM steward_migration", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            for (index, migration) in migrations.enumerated() where !applied.contains(index + 1) {
                for statement in migration.statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.query("INSERT INTO steward_migration (version, name) VALUES (\(index + 1), \(migration.name))", logger: logger)
            }
        }
    }
}
