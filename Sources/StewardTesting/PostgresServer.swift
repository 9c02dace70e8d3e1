import Foundation

/// A throwaway PostgreSQL cluster for a test: made with `initdb` in a
/// temporary folder, started with `pg_ctl` on a free loopback port (as the
/// `postgres` user when the test runs as root: PostgreSQL refuses root),
/// with one database, `steward`, that user `steward` logs in to without a
/// password. Stopped by the postmaster's pid, and its folder removed.
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    public let directory: String
    /// The postmaster's process id, read from its pid file.
    public let pid: pid_t
    private let bin: String
    private let runAs: [String]

    /// The store's URL for a database of this cluster.
    public func url(database: String = "steward") -> String { "postgresql://steward@127.0.0.1:\(port)/\(database)" }

    public init() throws {
        guard let bin = Self.binaries() else { throw Failure("PostgreSQL's server is not installed (Debian: apt-get install postgresql)") }
        self.bin = bin
        port = try freePort()
        directory = NSTemporaryDirectory() + "steward-postgres-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            guard let user = getpwnam("postgres") else { throw Failure("running as root needs the postgres user (Debian's postgresql package makes it)") }
            chown(directory, user.pointee.pw_uid, user.pointee.pw_gid)
            runAs = ["runuser", "-u", "postgres", "--"]
        } else {
            runAs = []
        }
        let data = directory + "/data"
        try Self.run(runAs + [bin + "/initdb", "-D", data, "-U", "steward", "--auth=trust", "-E", "UTF8", "--no-sync"], in: directory, "initdb")
        try Self.run(runAs + [bin + "/pg_ctl", "-D", data, "-l", directory + "/server.log", "-w", "-t", "30", "start", "-o",
                         "-p \(port) -c listen_addresses=127.0.0.1 -k \(directory) -c fsync=off -c max_connections=200"], in: directory, "pg_ctl start")
        let pidLine = (try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8))?.split(separator: "\n").first
        guard let pid = pidLine.flatMap({ pid_t($0) }) else { throw Failure("postgres started but wrote no pid file") }
        self.pid = pid
        try createDatabase("steward")
    }

    /// Makes another database in the cluster (each test its own).
    public func createDatabase(_ name: String) throws {
        try Self.run([bin + "/createdb", "-h", "127.0.0.1", "-p", "\(port)", "-U", "steward", name], in: directory, "createdb \(name)")
    }

    /// Runs SQL with psql; returns what it printed (unaligned, tuples only).
    @discardableResult
    public func sql(_ statement: String, database: String = "steward") throws -> String {
        let result = try Subprocess.run(["psql", "-h", "127.0.0.1", "-p", "\(port)", "-U", "steward", "-d", database, "-At", "-v", "ON_ERROR_STOP=1",
                                         "-c", statement], in: directory, mergingErrors: true)
        try Self.check(result, "psql")
        return result.output
    }

    /// Stops the server by its pid (a fast shutdown, then SIGKILL after 10 s) and removes its folder.
    public func stop() {
        if kill(pid, 0) == 0 {
            kill(pid, SIGINT)
            for _ in 0..<200 where kill(pid, 0) == 0 { Thread.sleep(forTimeInterval: 0.05) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    /// The newest installed server's programs: Debian keeps them under /usr/lib/postgresql/VERSION/bin.
    static func binaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.last.map { "\(root)/\($0)/bin" }.flatMap { FileManager.default.fileExists(atPath: $0 + "/initdb") ? $0 : nil }
    }

    /// Runs one of the server's programs, its output in the cluster's folder for a failure to quote.
    private static func run(_ arguments: [String], in directory: String, _ what: String) throws {
        let log = directory + "/commands.log"
        let status = try Subprocess.spawnAndWait(arguments, log: log)
        guard status == 0 else {
            throw Failure("\(what) failed (\(status)): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }

    private static func check(_ result: (status: Int32, output: String), _ what: String) throws {
        guard result.status == 0 else { throw Failure("\(what) failed (\(result.status)): \(result.output)") }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
