import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StewardStore
import StewardTesting

/// Three `steward agent` processes sharing one PostgreSQL store (a
/// throwaway cluster) and one bare remote (the end-to-end world), each
/// reaching the database through a TCP proxy of its own, so that a test can
/// cut one replica off the database while it still reaches git. Everything
/// started is stopped by its pid when the test lets go of it.
final class Replicas {
    let world: AgentEndToEndTests.World
    let database: PostgresServer
    let leaseSeconds: Int
    private(set) var ports: [Int]
    private var agents: [Process?]
    private var proxies: [Process?]
    private let proxyPorts: [Int]

    init(count: Int = 3, leaseSeconds: Int = 4) throws {
        world = try AgentEndToEndTests.World()
        database = try PostgresServer()
        self.leaseSeconds = leaseSeconds
        ports = Array(repeating: 0, count: count)
        agents = Array(repeating: nil, count: count)
        proxyPorts = try (0..<count).map { _ in try freePort() }
        proxies = Array(repeating: nil, count: count)
        for replica in 0..<count { try startProxy(replica) }
    }

    var count: Int { agents.count }
    func stateDirectory(_ replica: Int) -> String { world.dir + "/state-\(replica)" }
    func log(_ replica: Int) -> String { (try? String(contentsOfFile: world.dir + "/agent-\(replica).log", encoding: .utf8)) ?? "" }

    /// The replica's id, as its commits and leases name it.
    func id(_ replica: Int) -> String {
        ((try? String(contentsOfFile: stateDirectory(replica) + "/agent-id", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts a replica and waits for its port.
    @discardableResult
    func start(_ replica: Int) throws -> Int {
        let state = stateDirectory(replica)
        try? FileManager.default.removeItem(atPath: state + "/listen")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
        process.arguments = ["agent", "--config", world.dir + "/agent.yaml"]
        process.environment = ProcessInfo.processInfo.environment.merging([
            "STEWARD_STATE_DIRECTORY": state,
            "STEWARD_STORE_POSTGRES_URL": "postgresql://steward@127.0.0.1:\(proxyPorts[replica])/steward",
            "STEWARD_LEASE_DURATION": "\(leaseSeconds)s",
        ]) { $1 }
        let path = world.dir + "/agent-\(replica).log"
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        output.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        agents[replica] = process
        for _ in 0..<300 {
            if let text = try? String(contentsOfFile: state + "/listen", encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                ports[replica] = port
                return port
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw AgentEndToEndTests.World.Failure.notStarted(log: log(replica))
    }

    /// Sends a signal to a replica (SIGKILL: waits until it is gone).
    func signal(_ replica: Int, _ signal: Int32) {
        guard let process = agents[replica], process.isRunning else { return }
        kill(process.processIdentifier, signal)
        if signal == SIGKILL { process.waitUntilExit() }
    }

    /// Cuts a replica off the database: its proxy killed, every connection through it reset.
    func cutDatabase(_ replica: Int) {
        guard let proxy = proxies[replica], proxy.isRunning else { return }
        kill(proxy.processIdentifier, SIGKILL)
        proxy.waitUntilExit()
    }

    /// A TCP proxy from the replica's database port to the server's (Python, one thread per direction).
    private func startProxy(_ replica: Int) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import socket, sys, threading
            listener = socket.socket(); listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", \(proxyPorts[replica]))); listener.listen(64)
            def pipe(a, b):
                try:
                    while (data := a.recv(65536)): b.sendall(data)
                except OSError: pass
                for s in (a, b):
                    try: s.shutdown(socket.SHUT_RDWR)
                    except OSError: pass
            while True:
                client, _ = listener.accept()
                server = socket.create_connection(("127.0.0.1", \(database.port)))
                for a, b in ((client, server), (server, client)): threading.Thread(target=pipe, args=(a, b), daemon=True).start()
            """]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        proxies[replica] = process
        for _ in 0..<100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(proxyPorts[replica]).bigEndian)
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
            close(fd)
            if connected { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// A replica's `/v1/status`, as JSON.
    func status(_ replica: Int) async throws -> [String: Any] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(ports[replica])/v1/status")!)
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// Who holds a shard and under which term, as a replica's status says.
    func lease(of shard: Int, askingReplica replica: Int) async throws -> (holder: String, term: Int)? {
        let shards = try await status(replica)["shards"] as? [[String: Any]] ?? []
        guard let entry = shards.first(where: { $0["shard"] as? Int == shard }), let holder = entry["holder"] as? String,
              let expires = (entry["expires"] as? String).flatMap({ ISO8601DateFormatter().date(from: $0) }), expires > Date() else { return nil }
        return (holder, entry["term"] as? Int ?? 0)
    }

    /// Starts every replica and waits (a bounded while) until the shards are
    /// shared out over all of them: the first one up takes every shard, and
    /// lets go of what is beyond its share only as its leases run out.
    func startAll() async throws {
        for replica in 0..<count { try start(replica) }
        for _ in 0..<(leaseSeconds * 30) {
            let shards = try await status(0)["shards"] as? [[String: Any]] ?? []
            let holders = Dictionary(grouping: shards.compactMap { $0["holder"] as? String }, by: { $0 })
            if holders.count == count, holders.values.allSatisfy({ $0.count >= Shards.count / count }) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The replica holding a rollout's shard now, asked of `asking`.
    func holder(of rollout: String, asking: Int) async throws -> (replica: Int, term: Int)? {
        guard let lease = try await lease(of: Shards.shard(of: rollout), askingReplica: asking),
              let replica = (0..<count).first(where: { id($0) == lease.holder }) else { return nil }
        return (replica, lease.term)
    }

    /// The agent commits on the remote's main branch, oldest first: id, subject, replica and the term trailers.
    func agentCommits() throws -> [(id: String, subject: String, replica: String, terms: [String])] {
        let separator = "\u{1f}", end = "\u{1e}"
        let text = try world.remoteGit(["log", "--reverse", "--author=steward@example.com",
                                        "--format=%H\(separator)%s\(separator)%(trailers:key=Steward-Replica,valueonly,separator=)\(separator)%(trailers:key=Steward-Term,valueonly,separator=|)\(end)"])
        return text.split(separator: Character(end)).compactMap { record in
            let fields = record.trimmingCharacters(in: .newlines).components(separatedBy: separator)
            guard fields.count == 4 else { return nil }
            return (fields[0], fields[1], fields[2], fields[3].split(separator: "|").map(String.init))
        }
    }

    deinit {
        for process in agents.compactMap(\.self) + proxies.compactMap(\.self) where process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        database.stop()
    }
}
