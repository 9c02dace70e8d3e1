import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StewardTesting
import Testing

/// The real agent process against a bare repository on disk made from the
/// quickstart with short pauses; outcomes posted over HTTP on loopback.
@Suite(.serialized) struct AgentEndToEndTests {
    /// A throwaway world: the remote, a person's clone, the agent's state,
    /// and the agent process itself, stopped by its pid at the end.
    final class World {
        let dir: String
        var agent: Process?
        private var everyAgent: [Process] = []
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
            // The person's identity, as manual controls commit with it.
            try git(["config", "user.name", "Priya"])
            try git(["config", "user.email", "priya@example.com"])
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
            try Quickstart.quicken(repo, steps: """
                        - setWeight: 20
                        - pause: {duration: 2s}
                        - analysis: {templates: [llm-defaults]}
                        - setWeight: 50
                        - pause: {duration: 2s}
                        - setWeight: 100

                """)
        }

        @discardableResult
        func git(_ arguments: [String], in directory: String? = nil) throws -> String {
            try Subprocess.run(["git", "-c", "user.name=Priya", "-c", "user.email=priya@example.com", "-c", "commit.gpgsign=false"] + arguments,
                               in: directory ?? dir + "/work").output
        }

        func remoteGit(_ arguments: [String]) throws -> String { try git(["--git-dir", dir + "/remote.git"] + arguments, in: dir) }

        /// Starts `steward agent` and waits for its port.
        /// - Parameter launcher: a program that runs the agent in its own process (`prlimit …`), keeping its pid.
        func start(config: String? = nil, environment: [String: String] = [:], launcher: [String] = []) throws -> Int {
            let process = Process()
            let command = launcher + [CommandLineTests.binary, "agent", "--config", config ?? dir + "/agent.yaml"]
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let log = FileHandle(forWritingAtPath: { FileManager.default.createFile(atPath: dir + "/agent.log", contents: nil); return dir + "/agent.log" }())
            process.standardOutput = log
            process.standardError = log
            try process.run()
            agent = process
            everyAgent.append(process)
            for _ in 0..<200 {
                let state = environment["STEWARD_STATE_DIRECTORY"] ?? dir + "/state"
                if let text = try? String(contentsOfFile: state + "/listen", encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
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
            // Every agent this world started is gone when it is, whatever the test did.
            for process in everyAgent where process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// The agent's resident memory (VmRSS), in megabytes.
        func residentMegabytes() throws -> Int {
            let status = try String(contentsOfFile: "/proc/\(agent?.processIdentifier ?? 0)/status", encoding: .utf8)
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
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
        #expect(trailers.contains("Steward-Reason: error-rate 0."), "\(trailers)")
        #expect(trailers.contains("> 0.05 (critical)") && trailers.contains(" samples"))
        #expect(trailers.contains("Steward-Exposed-Requests: "))
        // The revert undid exactly the person's commit: the canary line is gone, nothing else changed.
        let rollout = try world.remoteGit(["show", "main:rollouts/customer-support-agent.yaml"])
        #expect(!rollout.contains("canary: 2.4.0") && rollout.contains("  stable: 2.3.1\n"))
        #expect(try world.remoteGit(["fsck", "--strict"]).isEmpty)
        // steward audit on the remote shows the agent's rollback.
        let audit = try CommandLineTests().steward(["audit", "--repo", world.dir + "/remote.git", "--agent-email", "steward@example.com"])
        #expect(audit.output.contains("rollback Rollout customer-support-agent 2.4.0 → 2.3.1: error-rate"), "\(audit.output)")
        // The live view, piped: plain lines, the rollback among the latest decisions, the failing verdict with its samples.
        let watch = try CommandLineTests().steward(["status", "--watch", "--count", "2", "--interval", "0.2", "--agent", "http://127.0.0.1:\(port)"])
        #expect(watch.status == 0)
        // Rolled back, or already settled on stable once the agent has fetched its own revert.
        #expect(watch.output.hasPrefix("-- ") && (watch.output.contains("customer-support-agent: rolledBack")
                                                   || watch.output.contains("customer-support-agent: healthy at step 1, 2.3.1 stable")), "\(watch.output)")
        #expect(watch.output.contains("latest decisions:") && watch.output.contains("customer-support-agent  rollback 2.4.0 -> 2.3.1"), "\(watch.output)")
        #expect(watch.output.contains("error-rate") && watch.output.contains(" samples"), "\(watch.output)")
        #expect(!watch.output.contains("█"), "bars are for a terminal")
        try await Self.expectStatusPage(port: port, world: world)
        try await Self.expectMetrics(port: port)
        #expect(world.stop() == 0)
    }

    /// `GET /metrics`: what the agent did, in a form `promtool check metrics` accepts.
    static func expectMetrics(port: Int) async throws {
        let (body, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        let text = String(decoding: body, as: UTF8.self)
        let promtool = Process()
        promtool.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        promtool.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        promtool.standardInput = input
        promtool.standardOutput = output
        promtool.standardError = output
        try promtool.run()
        input.fileHandleForWriting.write(body)
        try input.fileHandleForWriting.close()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        promtool.waitUntilExit()
        #expect(promtool.terminationStatus == 0, "promtool: \(said)\n\(text)")
        #expect(text.contains("steward_actions_total{kind=\"rollback\",outcome=\"done\"} 1"), "\(text)")
        #expect(text.contains("steward_canary_weight_percent{rollout=\"customer-support-agent\"} 0"), "\(text)")
        #expect(text.contains("steward_verdicts_total{metric=\"error-rate\",result=\"fail\"}"), "\(text)")
        #expect(text.contains("steward_reconcile_duration_seconds_count "), "\(text)")
        #expect(text.contains("steward_last_fetch_timestamp_seconds "), "\(text)")
        let ingested = text.split(separator: "\n").first { $0.hasPrefix("steward_outcomes_ingested_total ") }
        #expect((ingested?.split(separator: " ").last).flatMap { Double($0) } ?? 0 >= 300, "\(text)")
    }

    /// The status page at `GET /`, as a real browser builds it: the rollout
    /// with its phase, the weight chart with the walk (up to 20%, down to
    /// 0%), the failing metric, and the rollback linked to its commit, whose
    /// link the agent answers with the commit and its trailers.
    static func expectStatusPage(port: Int, world: World) async throws {
        let dom = try HeadlessBrowser.dom(of: "http://127.0.0.1:\(port)/")
        #expect(dom.contains("<section class=\"rollout\" id=\"rollout-customer-support-agent\">"), "\(dom)")
        let section = try #require(dom.range(of: "id=\"rollout-customer-support-agent\"").map { String(dom[$0.lowerBound...]) })
        // The revert is in git, so the rollout has settled on its stable version.
        #expect(section.contains("<span class=\"phase healthy\">healthy</span>") || section.contains("<span class=\"phase rolledBack\">"), "\(section)")
        let chart = try #require(section.range(of: "<svg class=\"weights\"").map { String(section[$0.lowerBound...].prefix(4000)) })
        let points = try #require(chart.range(of: "points=\"").map { chart[$0.upperBound...].prefix { $0 != "\"" } })
        // y is 8 at 100%, 102 at 0%: the line rises to 20% (y 83.2) and falls back to 0%.
        let heights = points.split(separator: " ").compactMap { Double($0.split(separator: ",").last ?? "") }
        #expect(heights.contains(83.2) && heights.last == 102.0, "\(points)")
        // The rollback among the decisions, with its evidence.
        #expect(dom.contains("<td>rollback 2.4.0 -&gt; 2.3.1</td><td>error-rate 0."), "\(dom)")
        let revert = try world.remoteGit(["log", "-1", "--format=%H", "--grep=Revert"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(dom.contains("<a href=\"/v1/commits/\(revert)\">\(revert.prefix(7))</a>"), "\(dom)")
        let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/commits/\(revert)")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).contains("Steward-Action: rollback"))
        // Only commit ids are looked up, never a revision expression.
        let (_, refused) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/commits/HEAD~1")!)
        #expect((refused as? HTTPURLResponse)?.statusCode == 404)
    }

    @Test func theReferenceGatewayRoutesRequestsAndReportsTheirOutcomes() async throws {
        let world = try World()
        let port = try world.start()
        let gateway = Process()
        gateway.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gateway.arguments = ["python3", CommandLineTests.root + "/examples/gateway/steward_gateway.py", "serve", "--agent", "http://127.0.0.1:\(port)",
                             "--token-file", world.dir + "/token", "--listen", "127.0.0.1:0", "--profile", "2.4.0:errors=1", "--profile", "2.3.1:errors=0"]
        let stderr = Pipe()
        gateway.standardError = stderr
        try gateway.run()
        defer { if gateway.isRunning { kill(gateway.processIdentifier, SIGKILL) } }
        // It says where it listens once it has the agent's routes.
        var banner = ""
        let deadline = Date().addingTimeInterval(30)
        while !banner.contains("/v1/complete\n"), Date() < deadline, gateway.isRunning {
            banner += String(decoding: stderr.fileHandleForReading.availableData, as: UTF8.self)
        }
        let address = try #require(banner.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines), "\(banner)")
        func complete(_ body: String) async throws -> (Int, [String: Any]) {
            var request = URLRequest(url: URL(string: address)!)
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
        }
        // Each request goes to the version the published algorithm picks; 2.4.0 fails every time here.
        var versions: Set<String> = []
        for user in 0..<60 {
            let (status, answer) = try await complete("{\"model\": \"customer-support-agent\", \"key\": \"user-\(user)\"}")
            let version = try #require(answer["version"] as? String)
            versions.insert(version)
            #expect(status == (version == "2.4.0" ? 502 : 200))
            if user < 3 {
                let routed = try CommandLineTests().steward(["route", "--table", world.dir + "/state/routes.json", "--model", "customer-support-agent", "user-\(user)"])
                #expect(routed.output.contains(version), "\(routed.output)")
            }
        }
        #expect(versions == ["2.3.1", "2.4.0"])
        #expect(try await complete("not json").0 == 400)
        #expect(try await complete("{\"model\": \"nope\", \"key\": \"k\"}").0 == 404)
        // The outcomes reach the agent in batches: the canary's error rate is judged on them. Evidence is
        // pooled from the first whole 10-second bucket of the exposure, so requests go on for a while.
        var judged = false, report = ""
        for round in 0..<80 where !judged {
            for user in 0..<20 { _ = try await complete("{\"model\": \"customer-support-agent\", \"key\": \"u\(round)-\(user)\"}") }
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/status")!)
            report = String(decoding: data, as: UTF8.self)
            judged = report.contains("error-rate 1 (")
            if !judged { try await Task.sleep(for: .milliseconds(250)) }
        }
        kill(gateway.processIdentifier, SIGTERM)
        for _ in 0..<100 where gateway.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!gateway.isRunning, "the gateway stops on SIGTERM")
        let said = gateway.isRunning ? "" : String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(judged, "gateway: \(said)\n\(report)")
        if !gateway.isRunning { #expect(gateway.terminationStatus == 0) }
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
        let status = try CommandLineTests().steward(["status", "--agent", "http://127.0.0.1:\(port)"])
        #expect(status.output.contains("is not acted on:\n  rollouts/broken.yaml:6:1: error"), "\(status.output)")
        #expect(status.output.contains("customer-support-agent: progressing at step"), "\(status.output)")
        let after = try String(contentsOfFile: world.dir + "/state/routes.json", encoding: .utf8)
        #expect(after.contains("\"2.3.1\"") && (before.contains("\"2.4.0\"") == after.contains("\"2.4.0\"")))
        #expect(world.stop() == 0)
    }
}

extension AgentEndToEndTests {
    @Test func aBadConfigExitsSeventyEightNamingTheField() throws {
        let world = try World()
        try """
            repository:
              url: file:///nowhere
              pollIntervall: 30s
              commitURL: https://github.com/acme/models/commit/
            listen: localhost
            signatures: {allowedSignersFile: /etc/steward/allowed_signers}
            """.write(toFile: world.dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let run = try CommandLineTests().steward(["agent", "--config", world.dir + "/bad.yaml", "--once"])
        #expect(run.status == 78)
        #expect(run.error.contains("bad.yaml:3:3: error: unknown field 'pollIntervall'; did you mean 'pollInterval'?"), "\(run.error)")
        #expect(run.error.contains("bad.yaml:4:14: error: commitURL must be an http(s) URL with {commit} where the commit id goes"), "\(run.error)")
        #expect(run.error.contains("bad.yaml:5:9: error: listen must be host:port, e.g. 127.0.0.1:7480, found 'localhost'"), "\(run.error)")
        #expect(run.error.contains("bad.yaml:1:1: error: signatures.signingKey is needed beside signatures.allowedSignersFile"), "\(run.error)")
        // A signing key others can read is refused by ssh-keygen: a config error, said at start.
        #expect(try Subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", world.dir + "/open-key"], in: world.dir).status == 0)
        #expect(chmod(world.dir + "/open-key", 0o644) == 0)
        try (try String(contentsOfFile: world.dir + "/agent.yaml", encoding: .utf8) + "\nsignatures: {signingKey: \(world.dir)/open-key}\n")
            .write(toFile: world.dir + "/open-key.yaml", atomically: true, encoding: .utf8)
        let openKey = try CommandLineTests().steward(["agent", "--config", world.dir + "/open-key.yaml", "--once"])
        #expect(openKey.status == 78)
        #expect(openKey.error.contains("open-key.yaml: error: signatures.signingKey: ") && openKey.error.contains("bad permissions"), "\(openKey.error)")
        let missing = try CommandLineTests().steward(["agent", "--config", world.dir + "/none.yaml", "--once"])
        #expect(missing.status == 78)
        #expect(missing.error.contains("none.yaml:1:1: error: cannot read the config file"))
    }

    /// The reference config, pointed at a remote that is not there by the
    /// environment: the agent starts, serves, and says why it is not ready.
    @Test func theReferenceConfigStartsTheAgentAndAnUnreachableRemoteIsReported() async throws {
        let world = try World()
        let notify = NotifySocket(path: world.dir + "/notify")
        let port = try world.start(config: CommandLineTests.root + "/manifests/agent.yaml", environment: [
            "STEWARD_STATE_DIRECTORY": world.dir + "/reference-state", "STEWARD_LISTEN": "127.0.0.1:0",
            "STEWARD_REPOSITORY_POLL_INTERVAL": "1s", "STEWARD_API_TOKEN_FILE": world.dir + "/token",
            "STEWARD_REPOSITORY_URL": "file://" + world.dir + "/no-such-remote.git", "NOTIFY_SOCKET": notify.path,
        ])
        let (health, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/healthz")!)
        #expect(String(decoding: health, as: UTF8.self) == "ok\n")
        var status = ""
        for _ in 0..<50 {
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/status")!)
            status = String(decoding: data, as: UTF8.self)
            if status.contains("lastError") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(status.contains("\"lastError\" : \"fetch main from file://"), "\(status)")
        let (_, ready) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/readyz")!)
        #expect((ready as? HTTPURLResponse)?.statusCode == 503)
        // Write endpoints need the token; the refusal does not echo it.
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/reconcile")!)
        request.httpMethod = "POST"
        request.setValue("Bearer wrong", forHTTPHeaderField: "Authorization")
        let (_, refused) = try await URLSession.shared.data(for: request)
        #expect((refused as? HTTPURLResponse)?.statusCode == 401)
        // The watchdog is pinged from the loop even while git is down; READY waits for a good state.
        let messages = notify.receive(for: 3)
        #expect(messages.contains("WATCHDOG=1"), "\(messages)")
        #expect(!messages.contains { $0.hasPrefix("READY=1") })
        #expect(world.stop() == 0)
        #expect(notify.receive(for: 0.5).contains("STOPPING=1"))
    }

    @Test func systemdHearsReadyOnceAGoodStateIsServed() throws {
        let world = try World()
        let notify = NotifySocket(path: world.dir + "/notify")
        _ = try world.start(environment: ["NOTIFY_SOCKET": notify.path])
        let messages = notify.receive(for: 5, until: { $0.hasPrefix("READY=1") })
        #expect(messages.contains { $0.hasPrefix("READY=1\nSTATUS=reconciling 2 rollouts") }, "\(messages)")
        #expect(world.stop() == 0)
    }

    /// Before: the agent was ready only once its first round had ended,
    /// commits and all (a thousand rollouts' statuses took 48 s), and a push
    /// that failed kept it unready for good though its routes were served.
    @Test func readyOnceTheRoutesFollowAGoodStateWhateverThePushesSay() async throws {
        let world = try World()
        // A lock another writer left on the remote's branch: every push fails; fetches work.
        #expect(FileManager.default.createFile(atPath: world.dir + "/remote.git/refs/heads/main.lock", contents: Data()))
        let port = try world.start()
        for _ in 0..<100 where try await Self.statusCode("http://127.0.0.1:\(port)/readyz") != 200 {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await Self.statusCode("http://127.0.0.1:\(port)/readyz") == 200)
        let routes = try String(contentsOfFile: world.dir + "/state/routes.json", encoding: .utf8)
        #expect(routes.contains("\"2.4.0\""), "\(routes)")
        var report = ""
        // Each push is tried again with a backoff for about nine seconds before the round gives up on it.
        for _ in 0..<300 where !report.contains("\"lastError\"") {
            report = String(decoding: try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/status")!).0, as: UTF8.self)
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(report.contains("\"lastError\"") && report.contains("publish to main"), "\(report)")
        #expect(try !world.remoteGit(["log", "--format=%s"]).contains("status:"))
        #expect(world.stop() == 0)
    }

    static func statusCode(_ url: String) async throws -> Int {
        (try await URLSession.shared.data(from: URL(string: url)!).1 as? HTTPURLResponse)?.statusCode ?? 0
    }

    @Test func outcomesAreCheckedOneByOne() async throws {
        let world = try World()
        let port = try world.start()
        func post(_ body: String, token: String? = nil) async throws -> (Int, String) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/outcomes")!)
            request.httpMethod = "POST"
            request.setValue("Bearer \(token ?? world.token)", forHTTPHeaderField: "Authorization")
            request.httpBody = Data(body.utf8)
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        let (mixed, report) = try await post("""
            {"outcomes": [
              {"model": "customer-support-agent", "version": "2.4.0", "time": "2026-11-22T10:00:00Z", "latencyMs": 812, "ok": true},
              {"model": "customer-support-agent", "version": "2.4.0", "time": "yesterday", "latencyMs": 812, "ok": true},
              {"model": "customer-support-agent", "version": "2.4.0", "time": 1800000000, "ok": true},
              {"model": "customer-support-agent", "version": "2.4.0", "time": 1800000000, "latencyMs": 5, "ok": true, "rating": 9},
              42
            ]}
            """)
        #expect(mixed == 207)
        #expect(report.contains("\"accepted\":1"), "\(report)")
        #expect(report.contains("{\"index\":1,\"reason\":\"time: 'yesterday' is not an ISO 8601 time such as 2026-11-22T10:00:00Z\"}"), "\(report)")
        #expect(report.contains("{\"index\":2,\"reason\":\"missing field 'latencyMs'\"}"), "\(report)")
        #expect(report.contains("{\"index\":3,\"reason\":\"rating must be between 1 and 5\"}"), "\(report)")
        #expect(report.contains("{\"index\":4,\"reason\":\"not a JSON object\"}"), "\(report)")
        #expect(try await post("not json").0 == 400)
        #expect(try await post("{\"outcomes\": []}", token: "nope").0 == 401)
        // Made-up models and versions are refused per item and cost no memory; a time past Int64 is refused, and the agent stays up.
        for _ in 0..<100 where try await Self.statusCode("http://127.0.0.1:\(port)/readyz") != 200 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let now = Int(Date().timeIntervalSince1970)
        let invented = (0..<60_000).map { "{\"model\": \"m\($0)\", \"version\": \"1.0.0\", \"time\": \(now), \"latencyMs\": 5, \"ok\": true}" }
        let (refused, why) = try await post("{\"outcomes\": [" + invented.joined(separator: ",") + ","
            + "{\"model\": \"customer-support-agent\", \"version\": \"9.9.9\", \"time\": \(now), \"latencyMs\": 5, \"ok\": true},"
            + "{\"model\": \"customer-support-agent\", \"version\": \"2.4.0\", \"time\": 1e19, \"latencyMs\": 5, \"ok\": true}]}")
        #expect(refused == 207 && why.contains("\"accepted\":0"), "\(why.prefix(300))")
        #expect(why.contains("{\"index\":0,\"reason\":\"model: 'm0' is not a Model in the registry\"}"), "\(why.prefix(300))")
        #expect(why.contains("{\"index\":60000,\"reason\":\"version: '9.9.9' is not a version of Model 'customer-support-agent' in the registry\"}"))
        #expect(why.contains("{\"index\":60001,\"reason\":\"time 1e+19 is more than a day ahead"), "\(why.suffix(300))")
        #expect(try await Self.statusCode("http://127.0.0.1:\(port)/healthz") == 200)
        let resident = try world.residentMegabytes()
        print("measured: the agent's resident memory after 60,000 made-up model names: \(resident) MB")
        #expect(resident < 400)
        #expect(try await post(String(repeating: " ", count: 9 << 20) + "{}").0 == 413)
        // Routes for clients that cannot hash, and long-poll that answers when nothing changed.
        let (route, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/route?model=customer-support-agent&key=user-1")!)
        #expect(String(decoding: route, as: UTF8.self).contains("\"version\" : \"2."))
        let (_, first) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/routes")!)
        let etag = try #require((first as? HTTPURLResponse)?.value(forHTTPHeaderField: "ETag"))
        var poll = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/routes?wait=1s")!)
        poll.setValue(etag, forHTTPHeaderField: "If-None-Match")
        let started = Date()
        let (_, unchanged) = try await URLSession.shared.data(for: poll)
        #expect((unchanged as? HTTPURLResponse)?.statusCode == 304)
        #expect(Date().timeIntervalSince(started) >= 0.9)
        #expect(world.stop() == 0)
    }
}

/// A datagram socket standing in for systemd's `NOTIFY_SOCKET`.
final class NotifySocket {
    let path: String
    let fd: Int32

    init(path: String) {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = byte }
        }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Messages received within `seconds` (stopping early once `until` holds for one).
    func receive(for seconds: Double, until: (String) -> Bool = { _ in false }) -> [String] {
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        repeat {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                let message = String(decoding: buffer[..<n], as: UTF8.self)
                messages.append(message)
                if until(message) { break }
            }
        } while Date() < deadline
        return messages
    }

    deinit {
        close(fd)
        unlink(path)
    }
}

extension AgentEndToEndTests {
    /// `systemd-analyze verify` accepts the unit (where systemd is installed), run against the built binary.
    @Test func theSystemdUnitVerifies() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else { return }
        let world = try World()
        let unit = try String(contentsOfFile: CommandLineTests.root + "/systemd/steward.service", encoding: .utf8)
        #expect(unit.contains("Type=notify") && unit.contains("WatchdogSec=") && unit.contains("DynamicUser=yes"))
        try unit.replacingOccurrences(of: "/usr/local/bin/steward", with: CommandLineTests.binary)
            .write(toFile: world.dir + "/steward.service", atomically: true, encoding: .utf8)
        let run = try CommandLineTests().run("/usr/bin/systemd-analyze", ["verify", world.dir + "/steward.service"])
        #expect(run.status == 0, "\(run.output)\(run.error)")
        #expect(run.error.isEmpty, "\(run.error)")
    }
}

extension AgentEndToEndTests {
    @Test func manualControlsAreCommitsByThePerson() throws {
        let world = try World()
        let cli = CommandLineTests()
        let work = world.dir + "/work"
        let pause = try cli.steward(["pause", "customer-support-agent", "--repo", work])
        #expect(pause.status == 0, "\(pause.error)")
        var rollout = try String(contentsOfFile: work + "/rollouts/customer-support-agent.yaml", encoding: .utf8)
        #expect(rollout.contains("  name: customer-support-agent\n  annotations:\n    steward.dev/pause: \"true\"\n"), "\(rollout)")
        #expect(rollout.contains("# commit `git revert` of the commit that set the canary"))  // comments kept
        #expect(try world.git(["log", "-1", "--format=%an <%ae>|%s|%(trailers:key=Steward-Action,valueonly)"])
                .hasPrefix("Priya <priya@example.com>|pause customer-support-agent|pause"))
        #expect(try world.git(["status", "--porcelain"]).isEmpty)
        let resume = try cli.steward(["resume", "customer-support-agent", "--repo", work])
        #expect(resume.status == 0, "\(resume.error)")
        rollout = try String(contentsOfFile: work + "/rollouts/customer-support-agent.yaml", encoding: .utf8)
        #expect(!rollout.contains("steward.dev/pause") && rollout.contains("    steward.dev/resume: \"20"))
        // The plan of the person's commit says what the control does.
        let plan = try cli.steward(["plan", "--repo", work, "--base", "HEAD~1"])
        #expect(plan.output.contains("steward.dev/pause removed: the rollout continues"), "\(plan.output)")
        #expect(plan.output.contains("steward.dev/resume requested: the rollout continues past its pause"))
        let unknown = try cli.steward(["abort", "nope", "--repo", work])
        #expect(unknown.status == 1)
        #expect(unknown.error.contains("no Rollout named 'nope'") && unknown.error.contains("rollouts: code-review-assistant, customer-support-agent"))
        let nothing = try cli.steward(["unstop", "customer-support-agent", "--repo", work])
        #expect(nothing.status == 0 && nothing.output.contains("nothing to change"))
    }

    /// Before: a control committed the rollout file's other uncommitted edits
    /// with its own (and pushed them), and a failed commit left its edit behind.
    @Test func aControlCommitsOnlyItsOwnEditAndWritesNothingItCannotCommit() throws {
        let world = try World()
        let cli = CommandLineTests()
        let work = world.dir + "/work", file = work + "/rollouts/customer-support-agent.yaml"
        let head = try world.git(["rev-parse", "HEAD"])
        let clean = try String(contentsOfFile: file, encoding: .utf8)
        func expectUntouched(_ run: CommandLineTests.Run, _ saying: String, file contents: String? = nil) throws {
            #expect(run.status == 1, "\(run.output)\(run.error)")
            #expect(run.error.contains(saying) && run.error.contains("nothing was changed"), "\(run.error)")
            #expect(try String(contentsOfFile: file, encoding: .utf8) == (contents ?? clean))
            #expect(try world.git(["rev-parse", "HEAD"]) == head)
        }
        // An unrelated edit in the rollout's own file: refused, the edit left as it was.
        let edited = clean.replacingOccurrences(of: "  stable: 2.3.1\n", with: "  stable: 2.2.0\n")
        try edited.write(toFile: file, atomically: true, encoding: .utf8)
        try expectUntouched(try cli.steward(["pause", "customer-support-agent", "--repo", work]), "has uncommitted changes", file: edited)
        try clean.write(toFile: file, atomically: true, encoding: .utf8)
        // Another git process holds the index.
        let lock = work + "/.git/index.lock"
        FileManager.default.createFile(atPath: lock, contents: nil)
        try expectUntouched(try cli.steward(["pause", "customer-support-agent", "--repo", work]), "index.lock")
        try FileManager.default.removeItem(atPath: lock)
        // Not a git repository.
        let copy = world.dir + "/copy"
        try FileManager.default.copyItem(atPath: work, toPath: copy)
        try FileManager.default.removeItem(atPath: copy + "/.git")
        let outside = try cli.steward(["pause", "customer-support-agent", "--repo", copy])
        #expect(outside.status == 1 && outside.error.contains("is not a git repository"), "\(outside.error)")
        #expect(try String(contentsOfFile: copy + "/rollouts/customer-support-agent.yaml", encoding: .utf8) == clean)
        // An edit elsewhere stays uncommitted; the control's commit holds its own file only.
        try "# a note\n".write(toFile: work + "/NOTES.md", atomically: true, encoding: .utf8)
        let pause = try cli.steward(["pause", "customer-support-agent", "--repo", work])
        #expect(pause.status == 0, "\(pause.error)")
        #expect(try world.git(["show", "--name-only", "--format=", "HEAD"]) == "rollouts/customer-support-agent.yaml\n")
        #expect(try world.git(["status", "--porcelain"]) == "?? NOTES.md\n")
    }

    @Test func anEmergencyStopThroughTheAgentTakesEffectAtOnce() async throws {
        let world = try World()
        let port = try world.start()
        _ = try await Self.drive(world, port: port, canaryErrors: 0.01, seconds: 10) {
            (try? String(contentsOfFile: world.dir + "/state/routes.json", encoding: .utf8))?.contains("\"2.4.0\"") == true
        }
        // The remote is the agent's; the person's clone pushes to it.
        try world.git(["pull", "-q", "--rebase", world.dir + "/remote.git", "main"])
        try world.git(["remote", "add", "origin", world.dir + "/remote.git"])
        try world.git(["fetch", "-q", "origin"])
        try world.git(["branch", "-q", "-u", "origin/main"])
        let started = Date()
        let stop = try CommandLineTests().steward(["stop", "customer-support-agent", "--repo", world.dir + "/work", "--agent",
                                                   "http://127.0.0.1:\(port)", "--token-file", world.dir + "/token"])
        #expect(stop.status == 0, "\(stop.error)")
        #expect(stop.output.contains("stopped at once by the agent"))
        var dropped = false
        for _ in 0..<40 {
            if let routes = try? String(contentsOfFile: world.dir + "/state/routes.json", encoding: .utf8), !routes.contains("\"2.4.0\"") {
                dropped = true
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(dropped)
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(world.stop() == 0)
    }
}
