import Foundation
import Testing
import StewardTesting

/// Runs the built `steward` binary the way CI and people do.
@Suite struct CommandLineTests {
    static let root = SourceTree.root

    /// The `steward` executable next to this test bundle.
    static let binary: String = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("steward").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return Bundle.main.bundleURL.appendingPathComponent("steward").path
    }()

    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    func steward(_ arguments: String...) throws -> Run {
        try steward(arguments)
    }

    func steward(_ arguments: [String]) throws -> Run {
        try run(Self.binary, arguments)
    }

    /// Runs a program in the repository's root and collects what it printed.
    func run(_ program: String, _ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: Self.root)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   output: String(decoding: output, as: UTF8.self),
                   error: String(decoding: error, as: UTF8.self))
    }

    @Test func quickstartValidatesWithExitZero() throws {
        let run = try steward("validate", "examples/quickstart")
        #expect(run.status == 0)
        #expect(run.output == "8 resources in 8 files, no problems\n")
    }

    @Test func invalidExamplesExitOneWithTheirDiagnostics() throws {
        let folder = "examples/invalid/five-problems"
        let run = try steward("validate", folder)
        #expect(run.status == 1)
        let expected = try String(contentsOfFile: "\(Self.root)/\(folder)/expected.txt", encoding: .utf8)
            .split(separator: "\n").map { "\(folder)/\($0)" }
        #expect(run.output.split(separator: "\n").dropLast().map(String.init) == expected)
    }

    @Test func unreadablePathsExitTwo() throws {
        let missing = try steward("validate", "no/such/dir")
        #expect(missing.status == 2)
        #expect(missing.error.contains("no/such/dir: no such file or directory"))
        let file = try steward("validate", "Package.swift")
        #expect(file.status == 2)
        #expect(file.error.contains("not a directory"))
    }

    @Test func formatsAreSelectable() throws {
        let run = try steward("validate", "examples/invalid/yaml-syntax", "--format", "github")
        #expect(run.status == 1)
        #expect(run.output.hasPrefix("::error file=examples/invalid/yaml-syntax/broken.yaml,line=9,col=13,"))
        let bad = try steward("validate", "--format", "xml")
        #expect(bad.status != 0)
        #expect(bad.error.contains("xml"))
    }
}

extension CommandLineTests {
    /// Separate processes decide the same: no per-process hash seed.
    @Test func routingIsStableAcrossProcessesAndMatchesPython() throws {
        let keys = (0..<50).map { "user-\($0)" }
        let table = "examples/gateway/routing-table.json"
        let first = try steward(["route", "--table", table, "--model", "customer-support-agent"] + keys)
        let second = try steward(["route", "--table", table, "--model", "customer-support-agent"] + keys)
        #expect(first.status == 0)
        #expect(first.output == second.output)
        let versions = first.output.split(separator: "\n").map { $0.split(separator: "\t").last.map(String.init) ?? "" }
        #expect(versions.count == 50)
        #expect(Set(versions) == ["2.4.0", "2.3.1"])
        for (key, version) in zip(keys, versions).prefix(10) {
            let python = try run("/usr/bin/env", ["python3", "examples/gateway/steward_gateway.py", "route", table, "customer-support-agent", key])
            #expect(python.output == version + "\n", "\(key)")
        }
    }

    @Test func routeReportsUnknownModelsAndBadTables() throws {
        let missing = try steward(["route", "--table", "examples/gateway/routing-table.json", "--model", "nope", "k"])
        #expect(missing.status == 1)
        #expect(missing.error.contains("has no model 'nope'"))
        let bad = try steward(["route", "--table", "Package.swift", "--model", "m", "k"])
        #expect(bad.status == 2)
        #expect(bad.error.contains("not a routing table"))
    }
}

extension CommandLineTests {
    @Test func simulateShowsAHealthyWalkAndARollback() throws {
        let healthy = try steward(["simulate", "--repo", "examples/quickstart", "--rollout", "customer-support-agent",
                                   "--metrics", "examples/simulations/healthy-canary.csv"])
        #expect(healthy.status == 0)
        // The 30-minute pause is a minimum: traffic moves once every critical gate has passed.
        #expect(healthy.output.contains("   35m  weight   2.4.0 at 15%, 2.3.1 at 85%\n"), "\(healthy.output)")
        #expect(healthy.output.contains("pause    waiting for a person at step 8"))
        #expect(!healthy.output.contains("rollback"))

        let spike = try steward(["simulate", "--repo", "examples/quickstart", "--rollout", "customer-support-agent",
                                 "--metrics", "examples/simulations/error-spike.csv", "--format", "json"])
        #expect(spike.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(spike.output.utf8)) as? [String: Any])
        #expect(object["phase"] as? String == "rolledBack")
        let events = try #require(object["events"] as? [[String: Any]])
        let rollback = try #require(events.first { $0["action"] as? String == "rollback" })
        // The spike begins at minute 45, ten minutes into the 15% step; judged on the recent stretch of the step
        // alone, it is not diluted by the healthy hour before.
        #expect(rollback["minute"] as? Int == 60)
        #expect(rollback["detail"] as? String
                == "2.4.0 -> 2.3.1 (revert): error-rate 0.062 (0.05–0.075) > 0.05 (critical), 10000 samples over the last 25 minutes")
    }

    @Test func simulateReportsBadInput() throws {
        let dir = NSTemporaryDirectory() + "steward-sim-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "minute,version,metric,value,samples\n1,2.4.0,error-rate,0.01\n".write(toFile: dir + "/short.csv", atomically: true, encoding: .utf8)
        let short = try steward(["simulate", "--repo", "examples/quickstart", "--rollout", "customer-support-agent", "--metrics", dir + "/short.csv"])
        #expect(short.status == 2)
        #expect(short.error.contains("short.csv:2: expected 5 fields"))
        let unknown = try steward(["simulate", "--repo", "examples/quickstart", "--rollout", "nope", "--metrics", dir + "/short.csv"])
        #expect(unknown.status == 1)
        #expect(unknown.error.contains("no Rollout named 'nope'"))
    }
}

/// `steward plan` against a real git repository made from examples/quickstart.
extension CommandLineTests {
    /// A git repository whose base commit is the quickstart without its
    /// canary; the work tree is then edited by `change`.
    func planRepository(_ change: (String) throws -> Void) throws -> String {
        let dir = NSTemporaryDirectory() + "steward-plan-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: Self.root + "/examples/quickstart", toPath: dir)
        let rollout = dir + "/rollouts/customer-support-agent.yaml"
        let original = try String(contentsOfFile: rollout, encoding: .utf8)
        try original.replacingOccurrences(of: "  canary: 2.4.0\n", with: "").write(toFile: rollout, atomically: true, encoding: .utf8)
        for arguments in [["init", "-q", "-b", "main"], ["add", "-A"],
                          ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base"]] {
            let git = try run("/usr/bin/env", ["git", "-C", dir] + arguments)
            #expect(git.status == 0, "\(git.error)")
        }
        try original.write(toFile: rollout, atomically: true, encoding: .utf8)
        try change(dir)
        return dir
    }

    @Test func planShowsARolloutStartingWithItsMinimumDuration() throws {
        let dir = try planRepository { _ in }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try steward(["plan", "--repo", dir, "--base", "main"])
        #expect(run.status == 2)
        #expect(run.output.contains("Rollout customer-support-agent\n  starts: 2.4.0 as canary of 2.3.1; canary 5% → pause 30m → analysis llm-defaults → 15%"))
        #expect(run.output.contains("takes at least 2h35m"))
        let json = try steward(["plan", "--repo", dir, "--base", "main", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let changes = try #require(object["changes"] as? [[String: Any]])
        #expect(changes.map { $0["kind"] as? String } == ["rolloutStarts"])
        let markdown = try steward(["plan", "--repo", dir, "--base", "main", "--format", "markdown"])
        #expect(markdown.output.contains("|  | Rollout customer-support-agent | starts: 2.4.0 as canary of 2.3.1;"))
    }

    @Test func planWithNothingChangedExitsZero() throws {
        let dir = try planRepository { dir in
            let rollout = dir + "/rollouts/customer-support-agent.yaml"
            let text = try String(contentsOfFile: rollout, encoding: .utf8)
            try text.replacingOccurrences(of: "  canary: 2.4.0\n", with: "").write(toFile: rollout, atomically: true, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try steward(["plan", "--repo", dir, "--base", "main"])
        #expect(run.status == 0)
        #expect(run.output.hasPrefix("steward plan: no changes against main ("))
    }

    /// The policy's schedule is listed below the changes, with dates; it is
    /// not a change of the pull request, so the exit status stays 0.
    @Test func planListsWhatThePolicyWillRetireAndWhen() throws {
        let dir = try planRepository { dir in
            let rollout = dir + "/rollouts/customer-support-agent.yaml"
            let text = try String(contentsOfFile: rollout, encoding: .utf8)
            try text.replacingOccurrences(of: "  canary: 2.4.0\n", with: "").write(toFile: rollout, atomically: true, encoding: .utf8)
            let model = dir + "/models/customer-support-agent.yaml"
            try (try String(contentsOfFile: model, encoding: .utf8))
                .replacingOccurrences(of: "      status: deprecated\n", with: "      status: deprecated\n      since: \"2026-01-05\"\n")
                .write(toFile: model, atomically: true, encoding: .utf8)
            let git = try run("/usr/bin/env", ["git", "-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "dated"])
            #expect(git.status == 0, "\(git.error)")
            // A development version created in 2099 falls due 30 days later (retention.development.maxAge).
            try (try String(contentsOfFile: model, encoding: .utf8) + "\n    - version: 9.0.0\n      baseModel: gpt-5\n      status: development\n      created: \"2099-01-01\"\n")
                .write(toFile: model, atomically: true, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plan = try steward(["plan", "--repo", dir, "--base", "main"])
        #expect(plan.status == 2, "the new version is the change")
        #expect(plan.output.contains("""
            Scheduled by the policy (retention and deprecation):
              customer-support-agent 2.2.0: deprecated → archived due now (retention.deprecated.maxAge 90d)
              customer-support-agent 9.0.0: development → archived on 2099-01-31 (retention.development.maxAge 30d)
              code-review-assistant 1.0.0 (deprecated): no date to count its age from
            """), "\(plan.output)")
        let json = try steward(["plan", "--repo", dir, "--base", "main", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let lifecycle = try #require(object["lifecycle"] as? [[String: Any]])
        #expect(lifecycle.map { [$0["version"], $0["to"], $0["due"]].map { $0 as? String ?? "" }.joined(separator: " ") }.last == "9.0.0 archived 2099-01-31T00:00:00Z")
    }

    @Test func planRefusesAnIllegalLifecycleTransition() throws {
        let dir = try planRepository { dir in
            let model = dir + "/models/customer-support-agent.yaml"
            let text = try String(contentsOfFile: model, encoding: .utf8)
            // 2.2.0 is deprecated; it may only return to production or be archived.
            let edited = text.replacingOccurrences(of: "      status: deprecated\n      created: \"2026-02-11\"", with: "      status: development\n      created: \"2026-02-11\"")
            #expect(edited != text)
            try edited.write(toFile: model, atomically: true, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try steward(["plan", "--repo", dir, "--base", "main"])
        #expect(run.status == 1)
        #expect(run.output.contains("error: Model customer-support-agent 2.2.0\n  deprecated → development is not allowed (from deprecated: archived, production)"))
    }

    /// Every change shows, and what served is immutable: editing a served
    /// version's parameters in place is an error that names it; the same
    /// edit to a version that never served, a rollout's settings and a
    /// template's threshold are shown with what they affect.
    @Test func planShowsEveryChangeAndRefusesAnEditToAServedVersion() throws {
        let dir = try planRepository { dir in
            try rewrite(dir + "/models/customer-support-agent.yaml") {
                $0.replacingOccurrences(of: "        temperature: 0.2          # PATCH: lower temperature, fewer invented order numbers\n        maxTokens: 1024",
                                        with: "        temperature: 0.2          # PATCH: lower temperature, fewer invented order numbers\n        maxTokens: 2048")
            }
            try rewrite(dir + "/rollouts/customer-support-agent.yaml") { $0.replacingOccurrences(of: "  progressDeadline: 2h", with: "  progressDeadline: 3h") }
            try rewrite(dir + "/analysis/llm-defaults.yaml") { $0.replacingOccurrences(of: "failWhen: {above: 0.05}", with: "failWhen: {above: 0.04}") }
            try rewrite(dir + "/prompts/support-system.yaml") {
                $0.replacingOccurrences(of: "        If an order number is not in the context, ask for it; never guess one.\n      compatibleModels: [gpt-4.1-mini, gpt-4.1]",
                                        with: "        If an order number is not in the context, ask for it.\n      compatibleModels: [gpt-4.1-mini, gpt-4.1]")
            }
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try steward(["plan", "--repo", dir, "--base", "main"])
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("error: Model customer-support-agent 2.3.1\n  parameters {temperature: 0.2, maxTokens: 1024, topP: 0.95} → "
                                    + "{temperature: 0.2, maxTokens: 2048, topP: 0.95}: 2.3.1 is production, and what served is what was measured: "
                                    + "make the change a new version (such as 2.3.2) instead of editing this one"), "\(run.output)")
        #expect(run.output.contains("\n  progressDeadline: 2h → 3h\n"), "\(run.output)")
        #expect(run.output.contains("error: PromptTemplate support-system 3.2.0\n  template changed in place, but customer-support-agent 2.3.0 is production "),
                "\(run.output)")
        #expect(run.output.contains("AnalysisTemplate llm-defaults\n  error-rate: ") && run.output.contains("above 0.05") && run.output.contains("above 0.04")
                && run.output.contains("judges Rollout code-review-assistant, customer-support-agent from the next look on"), "\(run.output)")
    }

    /// After a rollback by revert (the canary out of the rollout, the version marked), `steward retry --version`
    /// makes it the canary again with `retry: true`, in one commit that validates.
    @Test func retryWithAVersionProposesARolledBackVersionAgain() throws {
        let dir = try planRepository { dir in
            try rewrite(dir + "/rollouts/customer-support-agent.yaml") { $0.replacingOccurrences(of: "  canary: 2.4.0\n", with: "") }
            try rewrite(dir + "/models/customer-support-agent.yaml") {
                $0.replacingOccurrences(of: "      status: candidate\n", with: "      status: candidate\n      rolledBack: {at: \"2026-12-01T10:00:00Z\", reason: \"error-rate 0.09 > 0.05\"}\n")
            }
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for arguments in [["config", "user.name", "t"], ["config", "user.email", "t@example.com"], ["add", "-A"], ["commit", "-qm", "rolled back"]] {
            #expect(try run("/usr/bin/env", ["git", "-C", dir] + arguments).status == 0)
        }
        let retried = try steward(["retry", "customer-support-agent", "--repo", dir, "--version", "2.4.0"])
        #expect(retried.status == 0, "\(retried.error)")
        let rollout = try String(contentsOfFile: dir + "/rollouts/customer-support-agent.yaml", encoding: .utf8)
        #expect(rollout.contains("\n  canary: 2.4.0\n  retry: true\n") && rollout.contains("steward.dev/retry: "), "\(rollout)")
        #expect(try steward(["validate", dir]).status == 0)
        #expect(try run("/usr/bin/env", ["git", "-C", dir, "status", "--porcelain"]).output.isEmpty)
        let bad = try steward(["retry", "customer-support-agent", "--repo", dir, "--version", "two"])
        #expect(bad.status != 0 && bad.error.contains("--version must be a version such as 2.4.0, found 'two'"), "\(bad.error)")
    }

    @Test func planReportsAMissingBase() throws {
        let dir = try planRepository { _ in }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try steward(["plan", "--repo", dir, "--base", "no-such-branch"])
        #expect(run.status == 1)
        #expect(run.error.contains("resolve no-such-branch"))
    }
}

extension CommandLineTests {
    /// A plan repository whose base runs 2.4.0 as canary and whose work tree (the pull request) removes it.
    func canaryRemovedRepository() throws -> String {
        let dir = try planRepository { _ in }
        let rollout = dir + "/rollouts/customer-support-agent.yaml"
        _ = try run("/usr/bin/env", ["git", "-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "canary"])
        let withCanary = try String(contentsOfFile: rollout, encoding: .utf8)
        try withCanary.replacingOccurrences(of: "  canary: 2.4.0\n", with: "").write(toFile: rollout, atomically: true, encoding: .utf8)
        return dir
    }

    @Test func planWithStatusSaysWhereARunningRolloutStands() throws {
        let dir = try canaryRemovedRepository()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let statusFile = NSTemporaryDirectory() + "steward-status-" + UUID().uuidString + ".yaml"
        defer { try? FileManager.default.removeItem(atPath: statusFile) }
        try """
            apiVersion: steward/v1
            kind: RolloutStatus
            metadata: {name: customer-support-agent}
            status: {phase: progressing, stable: "2.3.1", canary: "2.4.0", stepIndex: 3, canaryWeight: 15, stepStartedAt: 0}

            """.write(toFile: statusFile, atomically: true, encoding: .utf8)
        let plan = try steward(["plan", "--repo", dir, "--base", "HEAD", "--status", statusFile])
        #expect(plan.status == 2)
        #expect(plan.output.contains("canary 2.4.0 removed: all traffic returns to 2.3.1 (now progressing at step 4, 15% on 2.4.0)"), "\(plan.output)")
    }
}

extension CommandLineTests {
    @Test func auditShowsPeopleAndTheAgentNewestFirst() throws {
        // Base: the quickstart without a canary. Then a person starts the
        // canary, and the agent rolls it back with a revert.
        let dir = try planRepository { _ in }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let git = { (arguments: [String]) throws -> Run in
            try self.run("/usr/bin/env", ["git", "-C", dir, "-c", "user.name=Priya", "-c", "user.email=priya@example.com"] + arguments)
        }
        #expect(try git(["commit", "-qam", "Start canary 2.4.0 for customer-support-agent"]).status == 0)
        let revert = try git(["-c", "user.name=Steward", "-c", "user.email=steward@example.com", "revert", "--no-edit", "HEAD"])
        #expect(revert.status == 0, "\(revert.error)")
        #expect(try git(["-c", "user.name=Steward", "-c", "user.email=steward@example.com", "commit", "-q", "--amend", "-m", """
            Revert "Start canary 2.4.0 for customer-support-agent"

            Steward-Action: rollback
            Steward-Rollout: customer-support-agent
            Steward-From-Version: 2.4.0
            Steward-To-Version: 2.3.1
            Steward-Reason: error_rate 0.071 > 0.05 (critical), 1,204 samples
            Steward-Actor: agent
            """]).status == 0)
        // Then the agent's lifecycle sweep archives 2.2.0.
        let models = dir + "/models/customer-support-agent.yaml"
        try (try String(contentsOfFile: models, encoding: .utf8))
            .replacingOccurrences(of: "      status: deprecated\n", with: "      status: archived\n      since: \"2027-01-15\"\n")
            .write(toFile: models, atomically: true, encoding: .utf8)
        #expect(try git(["-c", "user.name=Steward", "-c", "user.email=steward@example.com", "commit", "-qam", """
            Lifecycle: customer-support-agent 2.2.0 archived

            Steward-Action: lifecycle
            Steward-Lifecycle: customer-support-agent 2.2.0 deprecated→archived (deprecation.archiveAfter 90d)
            Steward-Actor: agent
            """]).status == 0)

        let run = try steward(["audit", "--repo", dir, "--format", "json", "--agent-email", "steward@example.com"])
        #expect(run.status == 0, "\(run.error)")
        var rows = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [[String: Any]])
        #expect(rows.count == 4)
        #expect(rows.first?["action"] as? String == "lifecycle" && rows.first?["subjects"] as? [String] == ["Model customer-support-agent 2.2.0"]
                && rows.first?["changes"] as? [String] == ["customer-support-agent 2.2.0 deprecated→archived (deprecation.archiveAfter 90d)"], "\(rows.first ?? [:])")
        rows.removeFirst()
        #expect(rows[0]["kind"] as? String == "agent")
        #expect(rows[0]["action"] as? String == "rollback")
        #expect(rows[0]["from"] as? String == "2.4.0")
        #expect(rows[0]["to"] as? String == "2.3.1")
        #expect(rows[0]["reason"] as? String == "error_rate 0.071 > 0.05 (critical), 1,204 samples")
        #expect(rows[0]["who"] as? String == "agent")
        #expect(rows[1]["kind"] as? String == "person")
        #expect(rows[1]["who"] as? String == "Priya <priya@example.com>")
        let changes = try #require(rows[1]["changes"] as? [String])
        #expect(changes.first?.hasPrefix("Rollout customer-support-agent: starts: 2.4.0 as canary of 2.3.1") == true)
        #expect(rows[2]["summary"] as? String == "base")

        let table = try steward(["audit", "--repo", dir, "--rollout", "customer-support-agent", "--agent-email", "steward@example.com"])
        let lines = table.output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("COMMIT") == true)
        #expect(lines.count == 5)  // header, the sweep, the rollback, the canary's start, the base that added the rollout
        #expect(lines[1].hasSuffix("lifecycle Model customer-support-agent 2.2.0: customer-support-agent 2.2.0 deprecated→archived (deprecation.archiveAfter 90d)"), "\(lines[1])")
        #expect(lines[2].hasSuffix("rollback Rollout customer-support-agent 2.4.0 → 2.3.1: error_rate 0.071 > 0.05 (critical), 1,204 samples"))
        let none = try steward(["audit", "--repo", dir, "--rollout", "code-review-assistant", "--since", "2000-01-01"])
        #expect(none.output.split(separator: "\n").count == 2)  // header + the base commit that added it
        let badDate = try steward(["audit", "--repo", dir, "--since", "yesterday"])
        #expect(badDate.status == 2)
    }
}

extension CommandLineTests {
    @Test func forgedTrailersAreShownAsThePersonsClaims() throws {
        let dir = try planRepository { _ in }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Mallory starts the canary, claiming in trailers to be the agent rolling back.
        let commit = try run("/usr/bin/env", ["git", "-C", dir, "-c", "user.name=Mallory", "-c", "user.email=mallory@example.com",
                                              "commit", "-qam", """
            Routine cleanup

            Steward-Action: rollback
            Steward-Rollout: customer-support-agent
            Steward-Reason: error_rate 0.2 > 0.05 (critical)
            """])
        #expect(commit.status == 0, "\(commit.error)")
        let audit = try steward(["audit", "--repo", dir, "--format", "json", "--agent-email", "steward@example.com"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(audit.output.utf8)) as? [[String: Any]])
        #expect(rows[0]["kind"] as? String == "person")
        #expect(rows[0]["who"] as? String == "Mallory <mallory@example.com>")
        #expect(rows[0]["action"] as? String == "edit")
        // What the commit really did is shown, and the claims are marked.
        let changes = try #require(rows[0]["changes"] as? [String])
        #expect(changes.first?.hasPrefix("Rollout customer-support-agent: starts: 2.4.0 as canary of 2.3.1") == true)
        #expect(rows[0]["unverifiedTrailers"] as? [String] == [
            "Steward-Action: rollback", "Steward-Rollout: customer-support-agent", "Steward-Reason: error_rate 0.2 > 0.05 (critical)",
        ])
        let table = try steward(["audit", "--repo", dir, "--agent-email", "steward@example.com"])
        #expect(table.output.contains("Mallory <mallory@example.com>"))
        #expect(table.output.contains("[unverified trailers, not the agent's commit: Steward-Action: rollback"))
        #expect(!table.output.contains("  rollback Rollout"))
    }
}

extension CommandLineTests {
    /// Numbers that are not numbers never pass, and a clock that would never end is refused.
    @Test func simulateFailsClosedOnBadNumbers() throws {
        let dir = NSTemporaryDirectory() + "steward-nan-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spike = try String(contentsOfFile: "examples/simulations/error-spike.csv", encoding: .utf8)
        for bad in ["nan", "inf", "1e300"] {
            // From minute 45 the canary's error rate is replaced by a value that is not a usable number.
            let lines = spike.split(separator: "\n").map { line -> String in
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                guard fields.count == 5, let minute = Double(fields[0]), minute >= 45, fields[1] == "2.4.0", fields[2] == "error-rate" else {
                    return String(line)
                }
                return [String(fields[0]), "2.4.0", "error-rate", bad, String(fields[4])].joined(separator: ",")
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/\(bad).csv", atomically: true, encoding: .utf8)
            let run = try steward(["simulate", "--repo", "examples/quickstart", "--rollout", "customer-support-agent", "--metrics", dir + "/\(bad).csv"])
            #expect(run.status == 0, "\(run.error)")
            #expect(!run.output.contains("at 35%"), "\(bad): \(run.output)")
            #expect(run.output.contains("the latest measurement is not a number"), "\(bad): \(run.output)")
        }
        // Before: events on a latency metric were judged as a rate, and a 3× p95 was never rolled back.
        try "minute,version,metric,value,samples,events\n1,2.4.0,latency-p95,2700,400,12\n".write(toFile: dir + "/events.csv", atomically: true, encoding: .utf8)
        let events = try steward(["simulate", "--repo", "examples/quickstart", "--rollout", "customer-support-agent", "--metrics", dir + "/events.csv"])
        #expect(events.status == 2)
        #expect(events.error.contains("events.csv:2: events is for rates; metric 'latency-p95' is not a rate"), "\(events.error)")
        for minute in ["inf", "1e300", "1e7", "-5"] {
            try "minute,version,metric,value,samples\n\(minute),2.4.0,error-rate,0.01,10\n".write(toFile: dir + "/clock.csv", atomically: true, encoding: .utf8)
            let run = try steward(["simulate", "--repo", "examples/quickstart", "--rollout", "customer-support-agent", "--metrics", dir + "/clock.csv"])
            #expect(run.status == 2)
            #expect(run.error.contains("clock.csv:2: minute must be a number from 0 to 100000"), "\(run.error)")
        }
    }
}
