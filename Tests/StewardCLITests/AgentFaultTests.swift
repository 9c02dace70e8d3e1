import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import StewardTesting

/// The safety path never waits on git: with the remote away, or answering
/// nothing at all, the real agent still drops a failing canary to 0%, honours
/// an API stop at once, says why in `/v1/status`, and exits 0 on SIGTERM
/// within seconds.
@Suite(.serialized) struct AgentFaultTests {
    typealias World = AgentEndToEndTests.World

    /// How git is broken once the canaries walk.
    enum Fault: String, CaseIterable, Sendable {
        /// The remote moved away: every fetch fails at once.
        case away
        /// The remote's config becomes a pipe nobody writes: opening the remote blocks for good, as a read from a
        /// black-holed host does, and no progress callback ever comes to stop it. The agent gives up on a call after 2 s.
        case neverAnswers
        /// The remote is a git host on the network (`git daemon` on loopback) whose address then black-holes: the
        /// connection is made and nothing is ever said on it. The agent gives up on a call after 2 s.
        case blackHoled
    }

    @Test(arguments: Fault.allCases)
    func trafficIsMadeSafeWithoutGit(_ fault: Fault) async throws {
        let world = try World()
        if fault != .away { try world.limitGit(seconds: 2) }
        let host = fault == .blackHoled ? try GitHost(serving: world.dir) : nil
        defer { host?.stop() }
        if let host { try world.editConfig("  url: file://\(world.dir)/remote.git\n", "  url: git://127.0.0.1:\(host.port)/remote.git\n") }
        let seen = try await Self.safetyWithoutGit(world) {
            switch fault {
            case .away:
                try FileManager.default.moveItem(atPath: world.dir + "/remote.git", toPath: world.dir + "/remote-away.git")
            case .neverAnswers:
                let config = world.dir + "/remote.git/config"
                try FileManager.default.removeItem(atPath: config)
                #expect(mkfifo(config, 0o644) == 0)
            case .blackHoled:
                try host?.blackHole()
            }
        }
        #expect(seen.stopSeconds != nil && seen.stopSeconds! < 1, "an API stop took \(seen.stopSeconds ?? -1) s")
        #expect(seen.canaryDropped, "\(seen.routes)")
        #expect(seen.report.contains("\"lastError\"") && seen.report.contains("fetch main"), "\(seen.report.prefix(2000))")
        #expect(seen.exitStatus == 0)
        #expect(seen.exitSeconds < 6)
        print("measured (\(fault.rawValue)): an API stop in the routing file after \(Int((seen.stopSeconds ?? -1) * 1000)) ms; "
              + "a failing canary at 0% \(Int(seen.dropSeconds)) s after its bad outcomes began; exited 0 \(Int(seen.exitSeconds * 1000)) ms after SIGTERM")
    }

    @Test func evidenceIsJudgedWhenItArrivesNotAtTheNextPoll() async throws {
        let world = try World()
        try world.setPoll("30s")
        // Healthy traffic on a loaded machine could otherwise promote the canary before the failing batch comes.
        try world.holdBeforePromotion()
        let port = try world.start()
        let routesFile = world.dir + "/state/routes.json"
        func routes() -> String { (try? String(contentsOfFile: routesFile, encoding: .utf8)) ?? "" }
        // Healthy traffic for a while, so that the exposure has whole 10-second buckets behind it.
        let walking = try await AgentEndToEndTests.drive(world, port: port, canaryErrors: 0.01, seconds: 20) { routes().contains("\"2.4.0\"") }
        #expect(walking, "\(routes())")
        _ = try await AgentEndToEndTests.drive(world, port: port, canaryErrors: 0.01, seconds: 11) { false }
        #expect(routes().contains("\"2.4.0\"") && routes().contains("\"2.3.1\""), "still a canary: \(routes())")
        // One batch that settles it: 2,000 canary requests, a third of them failed.
        let now = Date().timeIntervalSince1970
        let items: [[String: Any]] = (0..<2000).map { i in
            ["model": "customer-support-agent", "version": "2.4.0", "time": now, "latencyMs": 700, "ok": i % 3 != 0]
        }
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/outcomes")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(world.token)", forHTTPHeaderField: "Authorization")
        request.httpBody = try JSONSerialization.data(withJSONObject: ["outcomes": items])
        let (_, answer) = try await URLSession.shared.data(for: request)
        let posted = Date()
        #expect((answer as? HTTPURLResponse)?.statusCode == 200)
        var dropped: TimeInterval?
        for _ in 0..<1500 where dropped == nil {
            if !routes().contains("\"2.4.0\"") { dropped = Date().timeIntervalSince(posted) } else { try await Task.sleep(for: .milliseconds(10)) }
        }
        // Measured, not asserted tightly (a shared machine is noisy): the goal is 1 s; a 30 s poll would make it up to 30.
        print("measured: conclusive outcomes to the canary at 0% in the routing file, 30 s poll: \(Int((dropped ?? -1) * 1000)) ms")
        #expect(dropped != nil && dropped! < 10, "\(routes())")
        #expect(world.stop() == 0)
    }

    /// What the agent did with git broken.
    struct SafetyWithoutGit {
        /// From the API stop's request to the routing file without the stopped canary; nil if it never went.
        var stopSeconds: Double?
        var canaryDropped: Bool
        var dropSeconds: Double
        var routes: String
        /// `/v1/status` at the end.
        var report: String
        var exitStatus: Int32?
        var exitSeconds: Double
    }

    /// Walks a canary to its first step on both rollouts, breaks git with
    /// `breakGit`, then stops one rollout through the API, fails the other's
    /// canary, reads the status and sends SIGTERM.
    static func safetyWithoutGit(_ world: World, breakGit: () throws -> Void) async throws -> SafetyWithoutGit {
        try world.secondCanary()
        let port = try world.start()
        let routesFile = world.dir + "/state/routes.json"
        func routes() -> String { (try? String(contentsOfFile: routesFile, encoding: .utf8)) ?? "" }
        let walking = try await AgentEndToEndTests.drive(world, port: port, canaryErrors: 0.01, seconds: 20) {
            routes().contains("\"2.4.0\"") && routes().contains("\"1.1.1\"")
        }
        try #require(walking, "\(routes())")
        try breakGit()
        // Let the agent notice: a fetch (or two) against the broken remote.
        try await Task.sleep(for: .seconds(2.5))

        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/rollouts/code-review-assistant/stop")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(world.token)", forHTTPHeaderField: "Authorization")
        let asked = Date()
        let (_, answer) = try await URLSession.shared.data(for: request)
        try #require((answer as? HTTPURLResponse)?.statusCode == 202)
        var stopped: TimeInterval?
        for _ in 0..<100 where stopped == nil {
            if !routes().contains("\"1.1.1\"") { stopped = Date().timeIntervalSince(asked) } else { try await Task.sleep(for: .milliseconds(10)) }
        }

        let failing = Date()
        let dropped = try await AgentEndToEndTests.drive(world, port: port, canaryErrors: 0.3, seconds: 40) { !routes().contains("\"2.4.0\"") }
        let dropSeconds = Date().timeIntervalSince(failing)

        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/status")!)
        let terminating = Date()
        let status = world.stop()
        return SafetyWithoutGit(stopSeconds: stopped, canaryDropped: dropped, dropSeconds: dropSeconds, routes: routes(),
                                report: String(decoding: data, as: UTF8.self), exitStatus: status,
                                exitSeconds: Date().timeIntervalSince(terminating))
    }
}

extension AgentEndToEndTests.World {
    /// Makes code-review-assistant a canary too (it is blue-green, at 0%, in the quickstart), pushed to the remote.
    func secondCanary() throws {
        try """
            apiVersion: steward/v1
            kind: Rollout
            metadata:
              name: code-review-assistant
            spec:
              model: code-review-assistant
              stable: 1.1.0
              canary: 1.1.1
              stickyKey: repository_id
              strategy:
                canary:
                  steps:
                    - setWeight: 20
                    - pause: {duration: 1h}
                    - setWeight: 100

            """.write(toFile: dir + "/work/rollouts/code-review-assistant.yaml", atomically: true, encoding: .utf8)
        try git(["commit", "-qam", "Canary for code-review-assistant"])
        try git(["push", "-q", dir + "/remote.git", "main"])
    }

    /// Makes customer-support-agent wait for a person before its promotion,
    /// pushed to the remote: healthy traffic then never ends its canary.
    func holdBeforePromotion() throws {
        let rollout = dir + "/work/rollouts/customer-support-agent.yaml"
        let text = try String(contentsOfFile: rollout, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        let last = try #require(lines.lastIndex { $0.hasSuffix("- setWeight: 100") })
        let indent = lines[last].prefix { $0 == " " }
        try (lines[..<last] + [indent + "- pause: {}"] + lines[last...]).joined(separator: "\n")
            .write(toFile: rollout, atomically: true, encoding: .utf8)
        try git(["commit", "-qam", "Wait for a person before promoting 2.4.0"])
        try git(["push", "-q", dir + "/remote.git", "main"])
    }

    /// Sets the agent's git timeout (`repository.timeout`).
    func limitGit(seconds: Int) throws {
        try editConfig("  pollInterval: 1s\n", "  pollInterval: 1s\n  timeout: \(seconds)s\n")
    }

    /// Sets the agent's poll interval.
    func setPoll(_ interval: String) throws {
        try editConfig("  pollInterval: 1s\n", "  pollInterval: \(interval)\n")
    }

    func editConfig(_ line: String, _ replacement: String) throws {
        let config = dir + "/agent.yaml"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        #expect(text.contains(line))
        try text.replacingOccurrences(of: line, with: replacement).write(toFile: config, atomically: true, encoding: .utf8)
    }
}

extension AgentFaultTests {
    /// Before: two agents on one remote both acted, with duplicate status
    /// commits and routing tables that disagreed, and no warning.
    @Test func aSecondAgentOnTheSameRemoteRefusesToAct() async throws {
        let world = try World()
        let port = try world.start()
        let first = try #require(world.agent)
        defer { if first.isRunning { kill(first.processIdentifier, SIGTERM); first.waitUntilExit() } }
        func routes(_ state: String) -> String { (try? String(contentsOfFile: world.dir + "/\(state)/routes.json", encoding: .utf8)) ?? "" }
        #expect(try await AgentEndToEndTests.drive(world, port: port, canaryErrors: 0.01, seconds: 20) { routes("state").contains("\"2.4.0\"") })
        let holder = try String(contentsOfFile: world.dir + "/state/agent-id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try world.remoteGit(["log", "-1", "--format=%(trailers:key=Steward-Lease-Holder,valueonly)", "refs/steward/lease/main"])
            .contains(holder))

        let secondPort = try world.start(environment: ["STEWARD_STATE_DIRECTORY": world.dir + "/state2"])
        var report = ""
        for _ in 0..<100 where !report.contains("holds the lease on main") {
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(secondPort)/v1/status")!)
            report = String(decoding: data, as: UTF8.self)
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(report.contains("another agent (") && report.contains("holds the lease on main until"), "\(report.prefix(1500))")
        #expect(try await AgentEndToEndTests.statusCode("http://127.0.0.1:\(secondPort)/readyz") == 503)
        #expect(routes("state2").isEmpty, "the second agent published no routes of its own")
        // The first goes on acting alone: a failing canary is rolled back, once.
        let reverted = try await AgentEndToEndTests.drive(world, port: port, canaryErrors: 0.3, seconds: 40) {
            try world.remoteGit(["log", "--format=%s"]).contains("Revert \"Start canary 2.4.0\"")
        }
        #expect(reverted)
        let subjects = try world.remoteGit(["log", "--format=%s"]).split(separator: "\n")
        #expect(subjects.filter { $0.hasPrefix("Revert") }.count == 1)
        #expect(Set(subjects.filter { $0.hasPrefix("status:") }).count == subjects.filter { $0.hasPrefix("status:") }.count, "\(subjects)")
        #expect(world.stop() == 0)
        kill(first.processIdentifier, SIGTERM)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        // Stopped gracefully, the holder gave the lease up: another agent may act at once.
        let released = try world.remoteGit(["log", "-1", "--format=%s", "refs/steward/lease/main"])
        #expect(released.hasPrefix("Steward lease on main released"), "\(released)")
    }
}

/// A git host on the network: `git daemon` serving a directory's bare
/// repositories on a free loopback port, fetch and push, until it is stopped
/// or black-holed.
final class GitHost: @unchecked Sendable {
    let port: Int
    private let daemon = Process()
    private var silent: Int32 = -1

    init(serving directory: String) throws {
        port = try freePort()
        // The daemon itself, not `git daemon`, which would run it as a child that outlives a stop by pid.
        daemon.executableURL = URL(fileURLWithPath: "/usr/lib/git-core/git-daemon")
        daemon.arguments = ["--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(directory)",
                            "--export-all", "--enable=receive-pack", directory]
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        for _ in 0..<100 where !Self.accepts(port) { Thread.sleep(forTimeInterval: 0.05) }
        guard Self.accepts(port) else { stop(); throw POSIXError(.ECONNREFUSED) }
    }

    /// Stops the daemon by its pid and listens on its port without ever
    /// accepting: the kernel completes each connection, and nothing is ever
    /// said on it.
    func blackHole() throws {
        stopDaemon()
        silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(silent, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard bound, listen(silent, 128) == 0 else { throw POSIXError(.EADDRINUSE) }
    }

    func stop() {
        stopDaemon()
        if silent >= 0 { close(silent); silent = -1 }
    }

    private func stopDaemon() {
        guard daemon.isRunning else { return }
        // SIGKILL: the daemon inherits the test runner's blocked signals, SIGTERM among them.
        kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
    }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    private static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// The agent's state directory on a real filesystem that fills up: a small
/// tmpfs mounted for the test (it needs root, as mounting does; CI runs as root).
@Suite(.serialized, .enabled(if: geteuid() == 0, "mounting a small filesystem needs root"))
struct FullDiskTests {
    typealias World = AgentEndToEndTests.World

    /// Before: with the state directory full, every bucket write failed
    /// (`SQLite error 13`) and `/v1/outcomes` still answered 200. Now a full
    /// disk answers 503 with the reason, so that clients send again, and
    /// the gateways' routes are still served from memory; once space
    /// returns, outcomes are taken again.
    @Test func aFullStateDiskRefusesOutcomesWithTheReasonUntilSpaceReturns() async throws {
        let world = try World()
        let state = world.dir + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try #require(Subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", state], in: world.dir, mergingErrors: true).status == 0)
        defer {
            world.stop()
            _ = try? Subprocess.run(["umount", "-l", state], in: world.dir)
        }
        let port = try world.start()
        func routes() -> String { (try? String(contentsOfFile: state + "/routes.json", encoding: .utf8)) ?? "" }
        #expect(try await AgentEndToEndTests.drive(world, port: port, canaryErrors: 0.01, seconds: 20) { routes().contains("\"2.4.0\"") })

        // Fill the disk to the last byte.
        let filler = state + "/filler"
        FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
        let chunk = Data(repeating: 0, count: 1 << 16)
        var full = false
        for _ in 0..<1_000 where !full {
            do { try handle.write(contentsOf: chunk) } catch { full = true }
        }
        try? handle.close()
        try #require(full, "8 MB of tmpfs never filled")

        var refused: String?
        for _ in 0..<40 where refused == nil {
            let answer = try await Self.postOne(port: port, token: world.token)
            if answer.code == 503 { refused = answer.body } else { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(refused?.contains("cannot write outcomes") == true, "outcomes were still taken with the state disk full: \(refused ?? "")")
        #expect(try await AgentEndToEndTests.statusCode("http://127.0.0.1:\(port)/v1/routes") == 200, "routes are served from memory")
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/status")!)
        #expect(String(decoding: data, as: UTF8.self).contains("\"outcomeWriteProblem\""), "/v1/status says why")

        try FileManager.default.removeItem(atPath: filler)
        var taken = false
        for _ in 0..<40 where !taken {
            taken = try await Self.postOne(port: port, token: world.token).code == 200
            if !taken { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(taken, "outcomes were still refused once space returned")
        #expect(world.stop() == 0)
    }

    /// Posts one outcome and returns the answer's status and text.
    static func postOne(port: Int, token: String) async throws -> (code: Int, body: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/outcomes")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let item: [String: Any] = ["model": "customer-support-agent", "version": "2.4.0", "time": Date().timeIntervalSince1970,
                                   "latencyMs": 800, "ok": true]
        request.httpBody = try JSONSerialization.data(withJSONObject: ["outcomes": [item]])
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}
