import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Before: 1,100 idle sockets against systemd's default of 1,024
/// descriptors made `/healthz` time out and rounds fail with "Too many open
/// files", and a body promised at 100 MB and never sent held its
/// connection forever.
@Suite(.serialized) struct AgentConnectionTests {
    typealias World = AgentEndToEndTests.World

    @Test func idleSocketsPastTheDefaultDescriptorLimitLeaveHealthzAnswering() async throws {
        let world = try World()
        // systemd's default for a service: a soft limit of 1,024 under a higher hard one (this machine's own).
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let hard = min(limit.rlim_max, 1 << 20)
        try #require(hard >= 2_048, "the hard limit on open files here is \(hard)")
        let port = try world.start(launcher: ["/usr/bin/prlimit", "--nofile=1024:\(hard)"])
        let limits = try String(contentsOfFile: "/proc/\(world.agent!.processIdentifier)/limits", encoding: .utf8)
        let open = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") } ?? ""
        #expect(open.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first == "\(hard)", "the agent raised its soft limit: \(open)")
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<1_100 {
            let socket = try Self.connect(port: port)
            sockets.append(socket)
        }
        let asked = Date()
        #expect(try await AgentEndToEndTests.statusCode("http://127.0.0.1:\(port)/healthz") == 200)
        #expect(Date().timeIntervalSince(asked) < 2)
        let log = (try? String(contentsOfFile: world.dir + "/agent.log", encoding: .utf8)) ?? ""
        #expect(!log.contains("Too many open files"))
        #expect(world.stop() == 0)
    }

    @Test func aBodyThatNeverArrivesIsAnsweredAndClosed() async throws {
        let world = try World()
        let port = try world.start()
        let socket = try Self.connect(port: port)
        defer { close(socket) }
        let head = "POST /v1/outcomes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(world.token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{\"outc"
        _ = head.withCString { send(socket, $0, strlen($0), 0) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let started = Date()
        var answer = [UInt8](repeating: 0, count: 4096)
        let n = recv(socket, &answer, answer.count, 0)
        let text = n > 0 ? String(decoding: answer[..<n], as: UTF8.self) : ""
        #expect(text.hasPrefix("HTTP/1.1 408"), "\(text)")
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(world.stop() == 0)
    }

    /// A TCP connection to the agent on loopback, opened and left alone.
    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, connected == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        return fd
    }
}

extension AgentConnectionTests {
    /// Before: everything readable was open to whoever reached the port.
    @Test func withAReadTokenPeopleNeedItAndGatewaysDoNot() async throws {
        let world = try World()
        try "read-\(UUID().uuidString)".write(toFile: world.dir + "/read-token", atomically: true, encoding: .utf8)
        let readToken = try String(contentsOfFile: world.dir + "/read-token", encoding: .utf8)
        let port = try world.start(environment: ["STEWARD_READ_TOKEN_FILE": world.dir + "/read-token"])
        func get(_ path: String, token: String? = nil) async throws -> Int {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            return (try await URLSession.shared.data(for: request).1 as? HTTPURLResponse)?.statusCode ?? 0
        }
        for _ in 0..<100 where try await get("/readyz") != 200 { try await Task.sleep(for: .milliseconds(50)) }
        for path in ["/", "/v1/status", "/metrics", "/v1/commits/abcdef1"] {
            #expect(try await get(path) == 401, "\(path)")
            #expect(try await get(path, token: "wrong") == 401, "\(path)")
        }
        for path in ["/", "/v1/status", "/metrics"] {
            #expect(try await get(path, token: readToken) == 200, "\(path)")
            #expect(try await get(path, token: world.token) == 200, "\(path) with the API token")
        }
        for path in ["/healthz", "/readyz", "/v1/routes", "/v1/route?model=customer-support-agent&key=u1"] {
            #expect(try await get(path) == 200, "\(path) stays open")
        }
        // Every write needs the API token: the read token writes nothing.
        func post(_ path: String, token: String?) async throws -> Int {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = "POST"
            request.httpBody = Data("{\"outcomes\": []}".utf8)
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            return (try await URLSession.shared.data(for: request).1 as? HTTPURLResponse)?.statusCode ?? 0
        }
        for path in ["/v1/outcomes", "/v1/reconcile", "/v1/rollouts/customer-support-agent/stop"] {
            #expect(try await post(path, token: nil) == 401, "\(path)")
            #expect(try await post(path, token: readToken) == 401, "\(path) with the read token")
        }
        #expect(try await post("/v1/outcomes", token: world.token) == 200)
        #expect(try await post("/v1/reconcile", token: world.token) == 202)
        #expect(world.stop() == 0)
    }
}
