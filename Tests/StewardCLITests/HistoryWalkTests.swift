import Foundation
import Testing
@testable import StewardCLI
import StewardEngine
import StewardGit
import StewardSpec
import StewardTesting

/// `steward audit` reads each commit's state file by file from its child's:
/// the changes it finds must be exactly those of loading both trees whole.
@Suite struct HistoryWalkTests {
    @Test func theWalkFindsWhatFullLoadsFind() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("steward-walk-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func git(_ arguments: String...) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-C", dir, "-c", "user.name=P", "-c", "user.email=p@example.com"] + arguments
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "git \(arguments)")
        }
        func write(_ path: String, _ text: String) throws {
            let url = URL(fileURLWithPath: dir + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        func rollout(_ name: String, weight: Int, canary: String? = "1.1.0") -> String {
            """
            apiVersion: steward/v1
            kind: Rollout
            metadata: {name: \(name)}
            spec:
              model: m
              stable: 1.0.0
            \(canary.map { "  canary: \($0)\n" } ?? "")  strategy:
                canary:
                  steps: [{setWeight: \(weight)}, {setWeight: 100}]

            """
        }
        try git("init", "-q", "-b", "main")
        try write("models/m.yaml", Fixtures.model("m", [("1.0.0", "active"), ("1.1.0", "active")]))
        try write("rollouts/a.yaml", rollout("a", weight: 5))
        try git("add", "-A"); try git("commit", "-qm", "base")
        try write("rollouts/b.yaml", rollout("b", weight: 10))
        try git("add", "-A"); try git("commit", "-qm", "add b")
        try write("README.md", "not YAML\n")
        try git("add", "-A"); try git("commit", "-qm", "docs only")
        try git("checkout", "-q", "-b", "side")
        try write("rollouts/a.yaml", rollout("a", weight: 20))
        try git("commit", "-qam", "a to 20 on a side branch")
        try git("checkout", "-q", "main")
        try write("rollouts/b.yaml", rollout("b", weight: 10, canary: nil))
        try git("commit", "-qam", "b without its canary")
        try git("merge", "-q", "--no-edit", "side")
        try git("rm", "-q", "rollouts/b.yaml"); try git("commit", "-qm", "remove b")

        let repository = try Repository.open(dir)
        func full(_ commit: ObjectID?) throws -> DesiredState {
            guard let commit else { return DesiredState() }
            return DesiredStateLoader().load(try repository.yamlFiles(at: commit).map { SourceFile(path: $0.path, bytes: $0.bytes) }).state
        }
        var walk = HistoryWalk(repository: repository)
        var compared = 0
        for record in try repository.log(from: try repository.resolveCommit("HEAD")) {
            let touchesYAML = record.changedPaths.contains(where: Repository.holdsDesiredState)
            let states = try walk.step(over: record, compare: touchesYAML)
            #expect((states != nil) == touchesYAML, "\(record.subject)")
            guard let states else { continue }
            compared += 1
            let expected = ChangePlanner.compare(base: try full(record.parents.first), head: try full(record.id))
            #expect(ChangePlanner.compare(base: states.base, head: states.head) == expected, "\(record.subject)")
            #expect(!expected.isEmpty || record.parents.count > 1, "\(record.subject) changed nothing")
        }
        #expect(compared == 6)  // every commit but the one that changed only the README
    }
}

extension CommandLineTests {
    @Test func auditOfAShallowCloneSaysHowShallowInsteadOfShowingPartOfTheHistory() throws {
        let dir = try planRepository { _ in }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let git = { (arguments: [String]) throws -> Run in
            try self.run("/usr/bin/env", ["git", "-C", dir, "-c", "user.name=P", "-c", "user.email=p@example.com"] + arguments)
        }
        #expect(try git(["commit", "-qam", "start the canary"]).status == 0)
        #expect(try git(["commit", "-q", "--allow-empty", "-m", "nothing"]).status == 0)
        let clone = dir + "-shallow"
        defer { try? FileManager.default.removeItem(atPath: clone) }
        #expect(try run("/usr/bin/env", ["git", "clone", "-q", "--depth", "2", "file://" + dir, clone]).status == 0)
        let shallow = try steward(["audit", "--repo", clone])
        #expect(shallow.status == 1)
        #expect(shallow.error == "steward: error: \(clone) is a shallow clone: its history from HEAD stops after 2 commits; "
                + "run `git fetch --unshallow` (or clone with `fetch-depth: 0` in CI) and audit again\n")
        #expect(try steward(["audit", "--repo", dir]).status == 0)
    }
}

extension CommandLineTests {
    @Test func planReadsTheWorkTreeAsACommitWouldHoldIt() throws {
        // The work tree differs from the base only by an ignored file and a submodule, each with a rollout of its own.
        let dir = try planRepository { dir in
            let rollout = dir + "/rollouts/customer-support-agent.yaml"
            try String(contentsOfFile: rollout, encoding: .utf8).replacingOccurrences(of: "  canary: 2.4.0\n", with: "")
                .write(toFile: rollout, atomically: true, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let extra = try String(contentsOfFile: dir + "/rollouts/customer-support-agent.yaml", encoding: .utf8)
        func git(_ arguments: [String], in directory: String) throws {
            let git = try run("/usr/bin/env", ["git", "-C", directory, "-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments)
            #expect(git.status == 0, "\(git.error)")
        }
        try "local/\n".write(toFile: dir + "/.gitignore", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/local", withIntermediateDirectories: true)
        try extra.replacingOccurrences(of: "name: customer-support-agent\n", with: "name: scratch\n")
            .write(toFile: dir + "/local/scratch.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/vendor", withIntermediateDirectories: true)
        try extra.replacingOccurrences(of: "name: customer-support-agent\n", with: "name: vendored\n")
            .write(toFile: dir + "/vendor/vendored.yaml", atomically: true, encoding: .utf8)
        try git(["init", "-q", "-b", "main"], in: dir + "/vendor")
        try git(["add", "-A"], in: dir + "/vendor")
        try git(["commit", "-q", "-m", "vendored"], in: dir + "/vendor")
        try git(["add", ".gitignore", "vendor"], in: dir)
        try git(["commit", "-q", "-m", "ignore local/, add a submodule"], in: dir)
        #expect(try run("/usr/bin/env", ["git", "-C", dir, "ls-files", "-s", "vendor"]).output.hasPrefix("160000"))

        let plan = try steward(["plan", "--repo", dir, "--base", "main"])
        #expect(plan.status == 0, "\(plan.output)\(plan.error)")
        // validate reads every file it is given, as before.
        let validate = try steward(["validate", dir])
        #expect(validate.output.contains("local/scratch.yaml:7:10: error: model 'customer-support-agent' is already rolled out"),
                "\(validate.output)")
    }
}
