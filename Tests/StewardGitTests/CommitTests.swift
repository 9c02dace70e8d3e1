import Foundation
import Testing
import StewardYAML
@testable import StewardGit

@Suite struct CommitTests {
    let agent = Signature(name: "Steward", email: "steward@example.com")

    static let rollout = """
        # Support agent rollout. Comments must survive.
        spec:
          stable: 2.3.1   # what users get
          canary: 2.4.0
        """ + "\n"

    @Test func editCommitKeepsEveryOtherByteAndCarriesTrailers() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.commit(["rollouts/r.yaml": Self.rollout, "models/m.yaml": "m: 1\n"], message: "add rollout")
        let repo = try Repository.open(fixture.path)
        let tip = try #require(try repo.branchTip("main"))
        let editor = try YAMLEditor(source: Array(Self.rollout.utf8), file: "rollouts/r.yaml")
        let message = CommitMessage(subject: "Promote r to 2.4.0", body: "All steps passed.",
                                    trailers: [(.action, "promote"), (.rollout, "r"), (.toVersion, "2.4.0"), (.observedRevision, tip.description)])
        let commit = try repo.createCommit(
            parent: tip,
            changes: ["rollouts/r.yaml": .edits([try editor.replaceScalar(at: ["spec", "stable"], with: "2.4.0"),
                                                 try editor.removeEntry(at: ["spec", "canary"])])],
            message: message, author: agent, committer: agent)
        try repo.moveBranch("main", from: tip, to: commit, reason: "steward: promote")

        #expect(try fixture.git(["show", "HEAD:rollouts/r.yaml"]) == """
            # Support agent rollout. Comments must survive.
            spec:
              stable: 2.4.0   # what users get
            """ + "\n")
        #expect(try fixture.git(["log", "-1", "--format=%(trailers:key=Steward-Action,valueonly)"]).trimmingCharacters(in: .whitespacesAndNewlines) == "promote")
        #expect(try fixture.git(["log", "-1", "--format=%(trailers:key=Steward-To-Version,valueonly)"]).contains("2.4.0"))
        #expect(try fixture.git(["log", "-1", "--format=%an <%ae>"]).trimmingCharacters(in: .whitespacesAndNewlines) == "Steward <steward@example.com>")
        // The other file is untouched, and git itself finds the repository sound.
        #expect(try fixture.git(["diff", "--stat", "HEAD~1", "HEAD", "--", "models"]).isEmpty)
        _ = try fixture.git(["fsck", "--strict"])
    }

    @Test func branchMovesOnlyIfItDidNotMove() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let first = try fixture.commit(["a.yaml": "a: 1\n"], message: "one")
        let repo = try Repository.open(fixture.path)
        let base = try #require(ObjectID(hex: first))
        try fixture.commit(["a.yaml": "a: 2\n"], message: "someone else")
        let mine = try repo.createCommit(parent: base, changes: ["b.yaml": .write(Array("b: 1\n".utf8))],
                                         message: CommitMessage(subject: "mine"), author: agent, committer: agent)
        do {
            try repo.moveBranch("main", from: base, to: mine, reason: "test")
            Issue.record("moved a branch that had moved")
        } catch {
            #expect(error.isConflictOnReference)
            #expect(error.kind == .nonFastForward)
        }
        #expect(try fixture.git(["log", "-1", "--format=%s"]) == "someone else\n")
    }

    @Test func revertOnATipWhereOtherFilesChanged() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.commit(["rollouts/r.yaml": "stable: 2.3.1\n", "models/m.yaml": "v: 1\n"], message: "base")
        let canaryCommit = try fixture.commit(["rollouts/r.yaml": "stable: 2.3.1\ncanary: 2.4.0\n"], message: "Start canary 2.4.0")
        try fixture.commit(["models/m.yaml": "v: 2\n", "other.yaml": "x: 1\n"], message: "unrelated change")
        let repo = try Repository.open(fixture.path)
        let tip = try #require(try repo.branchTip("main"))
        let revert = try repo.createRevert(of: try #require(ObjectID(hex: canaryCommit)), onto: tip,
                                           body: "error_rate 0.071 > 0.05 (critical), 1,204 samples",
                                           trailers: [(.action, "rollback"), (.rollout, "r"), (.fromVersion, "2.4.0"), (.toVersion, "2.3.1")],
                                           author: agent, committer: agent)
        try repo.moveBranch("main", from: tip, to: revert, reason: "steward: rollback")
        #expect(try fixture.git(["show", "HEAD:rollouts/r.yaml"]) == "stable: 2.3.1\n")
        #expect(try fixture.git(["show", "HEAD:models/m.yaml"]) == "v: 2\n")
        let message = try fixture.git(["log", "-1", "--format=%B"])
        #expect(message.hasPrefix("Revert \"Start canary 2.4.0\"\n\nThis reverts commit \(canaryCommit).\n"))
        #expect(try fixture.git(["log", "-1", "--format=%(trailers:key=Steward-Action,valueonly)"]).hasPrefix("rollback"))
        _ = try fixture.git(["fsck", "--strict"])
    }

    @Test func conflictingRevertFailsAndLeavesTheBranchAlone() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.commit(["rollouts/r.yaml": "stable: 2.3.1\n"], message: "base")
        let canaryCommit = try fixture.commit(["rollouts/r.yaml": "stable: 2.3.1\ncanary: 2.4.0\n"], message: "Start canary")
        try fixture.commit(["rollouts/r.yaml": "stable: 2.3.1\ncanary: 2.5.0\n"], message: "someone changed the canary line")
        let repo = try Repository.open(fixture.path)
        let tip = try #require(try repo.branchTip("main"))
        do {
            _ = try repo.createRevert(of: try #require(ObjectID(hex: canaryCommit)), onto: tip, author: agent, committer: agent)
            Issue.record("a conflicting revert succeeded")
        } catch {
            #expect("\(error)" == "revert \(canaryCommit.prefix(7)): conflicts in rollouts/r.yaml")
            #expect((error as? GitError)?.kind == .conflict)
        }
        #expect(try repo.branchTip("main") == tip)
        #expect(try fixture.git(["status", "--porcelain"]).isEmpty)
    }
}
