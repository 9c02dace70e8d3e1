import Foundation
import Testing
@testable import StewardGit

@Suite struct ReadTests {
    @Test func readsYAMLFilesAtACommitWithoutAWorkTree() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let first = try fixture.commit(["models/a.yaml": "a: 1\n", "rollouts/r.yml": "r: 1\n", "README.md": "x",
                                        ".github/ci.yaml": "hidden: true\n"], message: "first")
        try fixture.commit(["models/a.yaml": "a: 2\n", "models/b.yaml": "b: 1\n"], message: "second")
        let repo = try Repository.open(fixture.path)
        let head = try repo.resolveCommit("HEAD")
        #expect(head.description == (try fixture.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)))
        let old = try repo.yamlFiles(at: try repo.resolveCommit("HEAD~1"))
        #expect(old.map(\.path) == ["models/a.yaml", "rollouts/r.yml"])
        #expect(old.first.map { String(decoding: $0.bytes, as: UTF8.self) } == "a: 1\n")
        #expect(try repo.resolveCommit(first) == (try repo.resolveCommit("main~1")))
        let new = try repo.yamlFiles(at: head, under: ["models"])
        #expect(new.map(\.path) == ["models/a.yaml", "models/b.yaml"])
        #expect(try repo.yamlFiles(at: head, under: ["nothing-here"]).isEmpty)
    }

    @Test func symbolicLinksInTheTreeAreNotFollowed() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.write("a.yaml", "a: 1\n")
        try FileManager.default.createSymbolicLink(atPath: fixture.path + "/passwd.yaml", withDestinationPath: "/etc/passwd")
        try fixture.git(["add", "-A"])
        try fixture.git(["commit", "-q", "-m", "a link"])
        #expect(try fixture.git(["ls-tree", "HEAD", "passwd.yaml"]).hasPrefix("120000"))
        let repo = try Repository.open(fixture.path)
        #expect(try repo.yamlFiles(at: try repo.resolveCommit("HEAD")).map(\.path) == ["a.yaml"])
    }

    @Test func badRevisionsAreClearErrors() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.commit(["a.yaml": "a: 1\n"], message: "first")
        let repo = try Repository.open(fixture.path)
        do {
            _ = try repo.resolveCommit("no-such-branch")
            Issue.record("resolved a missing branch")
        } catch {
            #expect(error.description.hasPrefix("resolve no-such-branch: "))
            #expect(error.code == -3)  // GIT_ENOTFOUND
            #expect(error.kind == .notFound)
        }
        #expect(throws: GitError.self) { try Repository.open(fixture.path + "/nope") }
    }

    @Test func credentialsAreScrubbedFromMessages() {
        let error = GitError(operation: "fetch", code: -1, message: "failed to reach https://bot:s3cret@git.example.com/org/repo.git: 401")
        #expect(error.description == "fetch: failed to reach https://***@git.example.com/org/repo.git: 401")
        #expect(!error.description.contains("s3cret"))
        #expect(Redaction.scrub("ssh://git@host/x and file:///tmp/y") == "ssh://***@host/x and file:///tmp/y")
    }
}

extension ReadTests {
    /// A second read of the same commit comes from the cache: it works even
    /// when the object database is gone.
    @Test func readingACommitTwiceIsCached() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.commit(["models/a.yaml": "a: 1\n"], message: "first")
        let repo = try Repository.open(fixture.path)
        let head = try repo.resolveCommit("HEAD")
        let first = try repo.yamlFiles(at: head)
        try FileManager.default.removeItem(atPath: fixture.path + "/.git/objects")
        #expect(try repo.yamlFiles(at: head) == first)
        // A different selection is not cached, and now cannot be read.
        #expect(throws: GitError.self) { try repo.yamlFiles(at: head, under: ["models"]) }
    }
}
