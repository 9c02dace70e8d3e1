import Foundation
import Synchronization
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

    @Test func aTreeTwentyThousandFoldersDeepIsReadWithoutExhaustingTheStack() throws {
        let fixture = try GitFixture(bare: true)
        defer { fixture.remove() }
        // git itself copes with such a tree; fast-import builds it without a work tree (the path is far past PATH_MAX).
        let path = Array(repeating: "d", count: 20_000).joined(separator: "/") + "/x.yaml"
        let stream = "commit refs/heads/main\ncommitter T <t@example.com> 1700000000 +0000\ndata 4\ndeep\n"
            + "M 100644 inline \(path)\ndata 5\na: 1\n\n"
        let input = fixture.path + "/stream"
        try stream.write(toFile: input, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "git -C '\(fixture.path)' fast-import --quiet < '\(input)'"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let repo = try Repository.open(fixture.path)
        // Run on a thread with a small stack, as a dispatch queue's are.
        let files = Mutex<[TreeFile]?>(nil)
        let thread = Thread { files.withLock { $0 = try? repo.yamlFiles(at: try repo.resolveCommit("main")) } }
        thread.stackSize = 512 * 1024
        thread.start()
        for _ in 0..<600 where files.withLock({ $0 == nil }) { Thread.sleep(forTimeInterval: 0.05) }
        #expect(files.withLock { $0?.map(\.path) } == [path])
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
