import Foundation
import Logging
import PostgresNIO

/// Where the PostgreSQL store is and how to log in: `store: {postgres:
/// {url: postgresql://USER@HOST:PORT/DB, passwordFile: FILE}}` in the
/// agent's config.
public struct PostgresSettings: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    /// The password, read from a file (a systemd credential, say); none for trust or peer logins.
    public var passwordFile: String?
    /// Given in the URL itself: kept for tests and one-off runs, never written back anywhere.
    var urlPassword: String?

    /// Reads `postgresql://USER[:PASSWORD]@HOST[:PORT]/DB`; nil with why, for the config's error.
    public static func parse(_ url: String, passwordFile: String? = nil) -> Result<PostgresSettings, URLProblem> {
        guard let components = URLComponents(string: url), ["postgresql", "postgres"].contains(components.scheme ?? "") else {
            return .failure(URLProblem(text: "expected postgresql://USER@HOST:PORT/DATABASE"))
        }
        guard let host = components.host, !host.isEmpty else { return .failure(URLProblem(text: "the URL names no host")) }
        guard let user = components.user, !user.isEmpty else { return .failure(URLProblem(text: "the URL names no user (postgresql://USER@HOST/DB)")) }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { return .failure(URLProblem(text: "the URL names no database (postgresql://USER@HOST/DB)")) }
        return .success(PostgresSettings(host: host, port: components.port ?? 5432, user: user, database: database,
                                         passwordFile: passwordFile, urlPassword: components.password))
    }

    public struct URLProblem: Error, CustomStringConvertible {
        public var text: String
        public var description: String { text }
    }

    /// The password: the file's first line, else the URL's.
    func password() throws -> String? {
        guard let passwordFile else { return urlPassword }
        do {
            let text = try String(contentsOfFile: passwordFile, encoding: .utf8)
            return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        } catch {
            throw StoreProblem("cannot read the PostgreSQL password file \(passwordFile): \(error.localizedDescription)")
        }
    }
}

/// A problem of the store in words.
public struct StoreProblem: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The state several agents share in one PostgreSQL database: the journal,
/// the outcomes (each replica adding to its own rows), the providers'
/// windows, and the leases, routes and stops that coordinate the replicas.
/// Migrated to the current schema on opening, under a lock, so that
/// replicas started together migrate once.
public final class PostgresAgentStore: AgentStore {
    public let journal: any ActionJournal
    public let outcomes: any OutcomeStore
    public let readings: any ReadingStore
    public let coordination: (any ReplicaCoordination)?

    /// Connects as the replica named `agent` and migrates; throws when the
    /// database cannot be reached (the agent says why and exits, as systemd
    /// restarts it).
    public init(settings: PostgresSettings, agent: String, logger: Logger) async throws {
        let configuration = PostgresClient.Configuration(host: settings.host, port: settings.port, username: settings.user,
                                                         password: try settings.password(), database: settings.database, tls: .disable)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let database = PostgresDatabase(connections: Connections(PostgresClient(configuration: configuration, backgroundLogger: quiet)), logger: quiet)
        do {
            try await PostgresSchema.migrate(database)
        } catch {
            throw StoreProblem("cannot open the PostgreSQL store at \(settings.host):\(settings.port)/\(settings.database) as \(settings.user): \(String(reflecting: error))")
        }
        journal = PostgresJournal(database: database, agent: agent)
        outcomes = PostgresOutcomes(database: database, agent: agent)
        readings = PostgresReadings(database: database)
        coordination = PostgresCoordination(database: database)
    }
}

/// The client's pool of connections, run for as long as any part of the
/// store holds it.
final class Connections: Sendable {
    let client: PostgresClient
    private let running: Task<Void, Never>

    init(_ client: PostgresClient) {
        self.client = client
        running = Task { await client.run() }
    }

    deinit { running.cancel() }
}

/// The client and the logger its queries run with; every query is bounded
/// in time, so that a database that stops answering fails a write rather
/// than holding the agent's loop.
struct PostgresDatabase: Sendable {
    let connections: Connections
    let logger: Logger
    var client: PostgresClient { connections.client }
    /// How long one query or transaction may take.
    static let timeout = Duration.seconds(5)

    @discardableResult
    func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await bounded { try await client.query(query, logger: logger).collect() }
    }

    /// Runs `work` in a transaction: committed when it returns, rolled back
    /// when it throws, and then its own error is thrown (a ``StaleTerm``, say).
    func transaction<T: Sendable>(_ work: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await bounded { try await client.withTransaction(logger: logger) { try await work($0) } }
        } catch let error as PostgresTransactionError {
            if let own = error.closureError, error.rollbackError == nil { throw own }
            throw error
        }
    }

    private func bounded<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: Self.timeout)
                throw StoreProblem("PostgreSQL did not answer within \(Self.timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}
