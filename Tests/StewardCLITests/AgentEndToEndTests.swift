import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The real agent process against a bare repository on disk made from the
/// quickstart with short pauses; outcomes posted over HTTP on loopback.
@Suite(.serialized) struct AgentEndToEndTests {
    /// A throwaway world: the remote, a person's clone, the agent's state,
    /// and the agent process itself, stopped by its pid at the end.
    final class World {
        let dir: String
        var agent: Process?
        let token = "e2e-\(UUID().uuidString)"

        init() throws {
            dir = NSTemporaryDirectory() + "steward-agent-" + UUID().uuidString
            let fm = FileManager.default
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try fm.copyItem(atPath: CommandLineTests.root + "/examples/quickstart", toPath: dir + "/work")
            try shorten(dir + "/work")
            try token.write(toFile: dir + "/token", atomically: true, encoding: .utf8)
            // The base has no canary; a person's commit starts it, so that the rollback can revert exactly that commit.
            let rollout = dir + "/work/rollouts/customer-support-agent.yaml"
            let withCanary = try String(contentsOfFile: rollout, encoding: .utf8)
            try withCanary.replacingOccurrences(of: "  canary: 2.4.0\n", with: "").write(toFile: rollout, atomically: true, encoding: .utf8)
            try git(["init", "-q", "-b", "main"])
            try git(["add", "-A"])
            try git(["commit", "-qm", "Registry and rollouts"])
            try withCanary.write(toFile: rollout, atomically: true, encoding: .utf8)
            try git(["commit", "-qam", "Start canary 2.4.0"])
            try git(["clone", "-q", "--bare", dir + "/work", dir + "/remote.git"], in: dir)
            try """
                repository:
                  url: file://\(dir)/remote.git
                  branch: main
                  pollInterval: 1s
                identity: {name: Steward, email: steward@example.com}
                listen: 127.0.0.1:0
                apiTokenFile: \(dir)/token
                stateDirectory: \(dir)/state
                """.write(toFile: dir + "/agent.yaml", atomically: true, encoding: .utf8)
        }

        /// Short pauses, 10-second looks, and no change windows (the test runs on any day).
        private func shorten(_ repo: String) throws {
            let rollout = repo + "/rollouts/customer-support-agent.yaml"
            var text = try String(contentsOfFile: rollout, encoding: .utf8)
            text = String(text[..<text.range(of: "      steps:")!.lowerBound]) + """
                      steps:
                        - setWeight: 20
                        - pause: {duration: 2s}
                        - analysis: {templates: [llm-defaults]}
                        - setWeight: 50
                        - pause: {duration: 2s}
                        - setWeight: 100

                """
            try text.write(toFile: rollout, atomically: true, encoding: .utf8)
            let template = repo + "/analysis/llm-defaults.yaml"
            try (try String(contentsOfFile: template, encoding: .utf8))
                .replacingOccurrences(of: "interval: 1m", with: "interval: 10s").replacingOccurrences(of: "interval: 5m", with: "interval: 10s")
                .replacingOccurrences(of: "minSamples: 200", with: "minSamples: 100")
                .write(toFile: template, atomically: true, encoding: .utf8)
            let policy = repo + "/policies/default.yaml"
            let p = try String(contentsOfFile: policy, encoding: .utf8)
            let start = p.range(of: "  changeWindows:")!.lowerBound, end = p.range(of: "  allowedSigners:")!.lowerBound
            try (String(p[..<start]) + String(p[end...])).write(toFile: policy, atomically: true, encoding: .utf8)
        }

        @discardableResult
        func git(_ arguments: [String], in directory: String? = nil) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-c", "user.name=Priya", "-c", "user.email=priya@example.com", "-c", "commit.gpgsign=false"] + arguments
            process.currentDirectoryURL = URL(fileURLWithPath: directory ?? dir + "/work")
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }

        func remoteGit(_ arguments: [String]) throws -> String { try git(["--git-dir", dir + "/remote.git"] + arguments, in: dir) }

        /// Starts `steward agent` and waits for its port.
        func start() throws -> Int {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
            process.arguments = ["agent", "--config", dir + "/agent.yaml"]
            let log = FileHandle(forWritingAtPath: { FileManager.default.createFile(atPath: dir + "/agent.log", contents: nil); return dir + "/agent.log" }())
            process.standardOutput = log
            process.standardError = log
            try process.run()
            agent = process
            for _ in 0..<200 {
                if let text = try? String(contentsOfFile: dir + "/state/listen", encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                    return port
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            throw Failure.notStarted(log: (try? String(contentsOfFile: dir + "/agent.log", encoding: .utf8)) ?? "")
        }

        /// Stops the agent by its pid (SIGTERM, then SIGKILL after 10 s); returns its exit status.
        @discardableResult
        func stop() -> Int32? {
            guard let agent, agent.isRunning else { return agent?.terminationStatus }
            kill(agent.processIdentifier, SIGTERM)
            for _ in 0..<200 where agent.isRunning { Thread.sleep(forTimeInterval: 0.05) }
            if agent.isRunning { kill(agent.processIdentifier, SIGKILL) }
            agent.waitUntilExit()
            return agent.terminationStatus
        }

        deinit {
            stop()
            try? FileManager.default.removeItem(atPath: dir)
        }

        enum Failure: Error { case notStarted(log: String) }
    }

    /// Posts one second of outcomes for both versions: 150 each, the canary
    /// with `canaryErrors`, both with ratings, tokens, cost and flags.
    static func post(port: Int, token: String, canaryErrors: Double, rng: inout SystemRandomNumberGenerator) async throws -> Int {
        let now = Date().timeIntervalSince1970
        var items: [[String: Any]] = []
        for (version, errors) in [("2.4.0", canaryErrors), ("2.3.1", 0.01)] {
            for _ in 0..<150 {
                let latency = 800 * exp(0.3 * (Double.random(in: -1...1, using: &rng) + Double.random(in: -1...1, using: &rng)))
                items.append(["model": "customer-support-agent", "version": version, "time": now, "latencyMs": latency,
                              "ok": Double.random(in: 0..<1, using: &rng) >= errors, "rating": Double.random(in: 3.6...5, using: &rng),
                              "hallucination": Double.random(in: 0..<1, using: &rng) < 0.008, "safetyViolation": false,
                              "inputTokens": 400, "outputTokens": 200, "cost": 0.0012])
            }
        }
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/outcomes")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.httpBody = try JSONSerialization.data(withJSONObject: ["outcomes": items])
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// Drives traffic until `done` holds or `seconds` pass; returns whether it held.
    static func drive(_ world: World, port: Int, canaryErrors: Double, seconds: Double, until done: () throws -> Bool) async throws -> Bool {
        var rng = SystemRandomNumberGenerator()
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            #expect(try await post(port: port, token: world.token, canaryErrors: canaryErrors, rng: &rng) == 200)
            if try done() { return true }
            try await Task.sleep(for: .milliseconds(500))
        }
        return try done()
    }

    @Test func aHealthyCanaryWalksItsStepsAndIsPromotedByACommit() async throws {
        let world = try World()
        let port = try world.start()
        let promoted = try await Self.drive(world, port: port, canaryErrors: 0.01, seconds: 120) {
            try world.remoteGit(["log", "--format=%s"]).contains("Promote customer-support-agent to 2.4.0")
        }
        #expect(promoted, "\((try? String(contentsOfFile: world.dir + "/agent.log", encoding: .utf8)) ?? "")")
        let trailers = try world.remoteGit(["log", "--format=%(trailers)", "--grep=Promote customer-support-agent"])
        #expect(trailers.contains("Steward-Action: promote"))
        #expect(trailers.contains("Steward-From-Version: 2.3.1") && trailers.contains("Steward-To-Version: 2.4.0"))
        #expect(trailers.contains("Steward-Observed-Revision: "))
        // The promotion is a surgical edit: stable moved, the canary gone, the comments kept.
        let rollout = try world.remoteGit(["show", "main:rollouts/customer-support-agent.yaml"])
        #expect(rollout.contains("  stable: 2.4.0\n") && !rollout.contains("canary: 2.4.0"))
        #expect(rollout.contains("# commit `git revert` of the commit that set the canary"))
        // Status commits record the walk: 20%, then 50%, then the promotion.
        let subjects = try world.remoteGit(["log", "--reverse", "--format=%s"])
        #expect(subjects.contains("canary at 20%") && subjects.contains("canary at 50%"))
        #expect(try world.remoteGit(["fsck", "--strict"]).isEmpty)
        #expect(world.stop() == 0)
    }

    @Test func aFailingCanaryIsDroppedThenRevertedWithTheEvidence() async throws {
        let world = try World()
        let port = try world.start()
        let reverted = try await Self.drive(world, port: port, canaryErrors: 0.08, seconds: 90) {
            try world.remoteGit(["log", "--format=%s"]).contains("Revert \"Start canary 2.4.0\"")
        }
        #expect(reverted, "\((try? String(contentsOfFile: world.dir + "/agent.log", encoding: .utf8)) ?? "")")
        // The routing file has the canary at 0%.
        let routes = try String(contentsOfFile: world.dir + "/state/routes.json", encoding: .utf8)
        #expect(!routes.contains("\"2.4.0\""), "\(routes)")
        let trailers = try world.remoteGit(["log", "-1", "--format=%(trailers)", "--grep=Revert"])
        #expect(trailers.contains("Steward-Action: rollback"))
        #expect(trailers.contains("Steward-Reason: error-rate 0.0"), "\(trailers)")
        #expect(trailers.contains("> 0.05 (critical)") && trailers.contains(" samples"))
        #expect(trailers.contains("Steward-Exposed-Requests: "))
        // The revert undid exactly the person's commit: the canary line is gone, nothing else changed.
        let rollout = try world.remoteGit(["show", "main:rollouts/customer-support-agent.yaml"])
        #expect(!rollout.contains("canary: 2.4.0") && rollout.contains("  stable: 2.3.1\n"))
        #expect(try world.remoteGit(["fsck", "--strict"]).isEmpty)
        // steward audit on the remote shows the agent's rollback.
        let audit = try CommandLineTests().steward(["audit", "--repo", world.dir + "/remote.git", "--agent-email", "steward@example.com"])
        #expect(audit.output.contains("rollback Rollout customer-support-agent 2.4.0 → 2.3.1: error-rate"), "\(audit.output)")
        #expect(world.stop() == 0)
    }

    @Test func aBrokenPushKeepsTheLastGoodRoutesAndSaysWhere() async throws {
        let world = try World()
        let port = try world.start()
        _ = try await Self.drive(world, port: port, canaryErrors: 0.01, seconds: 10) {
            try world.remoteGit(["log", "--format=%s"]).contains("canary at 20%")
        }
        let before = try String(contentsOfFile: world.dir + "/state/routes.json", encoding: .utf8)
        // A person pushes broken YAML.
        try world.git(["pull", "-q", "--rebase", world.dir + "/remote.git", "main"])
        try "apiVersion: steward/v1\nkind: Rollout\nmetadata: {name: broken}\nspec:\n  model: [unclosed\n"
            .write(toFile: world.dir + "/work/rollouts/broken.yaml", atomically: true, encoding: .utf8)
        try world.git(["add", "-A"])
        try world.git(["commit", "-qm", "Broken"])
        try world.git(["push", "-q", world.dir + "/remote.git", "main"])
        var report = ""
        for _ in 0..<100 {
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/status")!)
            report = String(decoding: data, as: UTF8.self)
            if report.contains("rollouts/broken.yaml:6:1: error") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(report.contains("rollouts/broken.yaml:6:1: error"), "\(report)")
        #expect(report.contains("\"invalidRevision\""))
        let after = try String(contentsOfFile: world.dir + "/state/routes.json", encoding: .utf8)
        #expect(after.contains("\"2.3.1\"") && (before.contains("\"2.4.0\"") == after.contains("\"2.4.0\"")))
        #expect(world.stop() == 0)
    }
}
