import GRDB

/// The database's tables, created and evolved by migrations.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "outcome_bucket") { t in
                t.column("model", .text).notNull()
                t.column("version", .text).notNull()
                t.column("start", .integer).notNull()
                for column in BucketCodec.columns.dropLast() { t.column(column, .double).notNull().defaults(to: 0) }
                t.column("latency", .blob)
                t.primaryKey(["model", "version", "start"])
            }
            try db.create(table: "journal") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("rollout", .text).notNull()
                t.column("action", .text).notNull()
                t.column("revision", .text).notNull()
                t.column("state", .text).notNull()
                t.column("detail", .text)
                t.column("created", .double).notNull()
            }
        }
        migrator.registerMigration("v2: the status each action left") { db in
            try db.alter(table: "journal") { t in t.add(column: "status", .text) }
        }
        migrator.registerMigration("v3: the commit each action made") { db in
            try db.alter(table: "journal") { t in t.add(column: "commit", .text) }
        }
        migrator.registerMigration("v4: windows read from HTTP providers") { db in
            try db.create(table: "provider_reading") { t in
                t.column("metric", .text).notNull()
                t.column("model", .text).notNull()
                t.column("version", .text).notNull()
                t.column("window_start", .double).notNull()
                t.column("window_end", .double).notNull()
                t.column("value", .double)
                t.column("samples", .double).notNull()
                t.primaryKey(["metric", "model", "version", "window_end"])
            }
        }
        migrator.registerMigration("v5: each action's kind, and the agent that took it") { db in
            try db.alter(table: "journal") { t in
                t.add(column: "kind", .text)
                t.add(column: "agent", .text)
            }
            // Actions journalled before: the kind is the first word of what was written.
            try db.execute(sql: """
                UPDATE journal SET kind = CASE WHEN instr(action, ' ') > 0 THEN substr(action, 1, instr(action, ' ') - 1) ELSE action END
                """)
            try db.create(index: "journal_by_kind", on: "journal", columns: ["kind", "created"])
        }
        migrator.registerMigration("v6: outcome buckets per agent") { db in
            // Each agent adds only to its own rows (no two writers merge one row); a tally sums every agent's.
            try db.create(table: "outcome_bucket_per_agent") { t in
                t.column("model", .text).notNull()
                t.column("version", .text).notNull()
                t.column("start", .integer).notNull()
                t.column("agent", .text).notNull()
                for column in BucketCodec.columns.dropLast() { t.column(column, .double).notNull().defaults(to: 0) }
                t.column("latency", .blob)
                t.primaryKey(["model", "version", "start", "agent"])
            }
            let columns = (["model", "version", "start"] + BucketCodec.columns).joined(separator: ", ")
            // Buckets kept before: an agent named '' holds them, and they count as before.
            try db.execute(sql: "INSERT INTO outcome_bucket_per_agent (\(columns), agent) SELECT \(columns), '' FROM outcome_bucket")
            try db.drop(table: "outcome_bucket")
            try db.rename(table: "outcome_bucket_per_agent", to: "outcome_bucket")
        }
        return migrator
    }
}
