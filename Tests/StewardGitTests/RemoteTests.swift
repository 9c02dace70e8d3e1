import Foundation
import Testing
@testable import StewardGit

@Suite struct RemoteTests {
    let agent = Signature(name: "Steward", email: "steward@example.com")

    /// A bare "remote" with one commit on main, and an empty local mirror.
    func setUp() throws -> (remote: GitFixture, seed: GitFixture, mirror: String) {
        let remote = try GitFixture(bare: true)
        let seed = try GitFixture()
        try seed.commit(["rollouts/r.yaml": "stable: 1.0.0\n"], message: "seed")
        try seed.git(["push", "-q", remote.path, "main"])
        let mirror = NSTemporaryDirectory() + "steward-mirror-" + UUID().uuidString
        return (remote, seed, mirror)
    }

    @Test func fetchFollowsTheBranchAndNoticesForcePushes() throws {
        let (remote, seed, mirrorPath) = try setUp()
        defer { remote.remove(); seed.remove(); try? FileManager.default.removeItem(atPath: mirrorPath) }
        let mirror = try Repository.create(mirrorPath, bare: true)
        let options = RemoteOptions(url: remote.path)
        let first = try mirror.fetch(options, branch: "main")
        #expect(first.previous == nil && !first.forced)
        #expect(first.tip.description == (try seed.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Nothing new: same tip.
        #expect(try mirror.fetch(options, branch: "main").tip == first.tip)
        // A normal push, then a force push that rewrites history.
        try seed.commit(["rollouts/r.yaml": "stable: 1.1.0\n"], message: "next")
        try seed.git(["push", "-q", remote.path, "main"])
        #expect(try mirror.fetch(options, branch: "main").forced == false)
        try seed.git(["commit", "-q", "--amend", "-m", "rewritten"])
        try seed.git(["push", "-q", "--force", remote.path, "main"])
        let forced = try mirror.fetch(options, branch: "main")
        #expect(forced.forced)
        #expect(try mirror.file("rollouts/r.yaml", at: forced.tip) == Array("stable: 1.1.0\n".utf8))
    }

    @Test func pushNeverForces() throws {
        let (remote, seed, mirrorPath) = try setUp()
        defer { remote.remove(); seed.remove(); try? FileManager.default.removeItem(atPath: mirrorPath) }
        let mirror = try Repository.create(mirrorPath, bare: true)
        let options = RemoteOptions(url: remote.path)
        let base = try mirror.fetch(options, branch: "main").tip
        // Someone else pushes first.
        try seed.commit(["people.yaml": "x: 1\n"], message: "a person's change")
        try seed.git(["push", "-q", remote.path, "main"])
        let mine = try mirror.createCommit(parent: base, changes: ["agent.yaml": .write(Array("y: 1\n".utf8))],
                                           message: CommitMessage(subject: "agent change"), author: agent, committer: agent)
        do {
            try mirror.push(mine, to: options, branch: "main")
            Issue.record("a non-fast-forward push went through")
        } catch {
            #expect(error.isConflictOnReference, "\(error)")
        }
        #expect(try remote.git(["log", "-1", "--format=%s", "main"]) == "a person's change\n")
    }

    /// Before: an agent's commit was built (and signed) once to learn whether
    /// one was needed, then fetched and built again to publish it. Now it is
    /// built once while the branch holds still, again only from a moved
    /// tip's bytes, and not at all pushed when the tip already holds it.
    @Test func aChangeIsBuiltOnceUnlessTheBranchMoves() throws {
        let (remote, seed, mirrorPath) = try setUp()
        defer { remote.remove(); seed.remove(); try? FileManager.default.removeItem(atPath: mirrorPath) }
        let mirror = try Repository.create(mirrorPath, bare: true)
        let options = RemoteOptions(url: remote.path)
        var tips: [ObjectID] = []
        func change(_ tip: ObjectID) throws(GitError) -> ObjectID? {
            tips.append(tip)
            // The tip already holds it: nothing to push.
            if try mirror.file("agent.yaml", at: tip) == Array("y: 1\n".utf8) { return nil }
            // Someone else pushes between the agent's first build and its push.
            if tips.count == 1 {
                try? seed.commit(["people.yaml": "x: 1\n"], message: "a person's change")
                _ = try? seed.git(["push", "-q", remote.path, "main"])
            }
            return try mirror.createCommit(parent: tip, changes: ["agent.yaml": .write(Array("y: 1\n".utf8))],
                                           message: CommitMessage(subject: "agent change"), author: agent, committer: agent)
        }
        let published = try #require(try mirror.publish(to: options, branch: "main", change: change))
        // Built twice: once on the first tip, once on the person's commit after the push was refused.
        #expect(tips.count == 2 && tips[0] != tips[1])
        #expect(try remote.git(["log", "--format=%s", "main"]) == "agent change\na person's change\nseed\n")
        #expect(try remote.git(["rev-parse", "main"]).hasPrefix(published.description))
        // Asked again, the tip holds the change: built once, nothing pushed.
        tips = []
        #expect(try mirror.publish(to: options, branch: "main", change: change) == nil)
        #expect(tips.count == 1)
        #expect(try remote.git(["rev-parse", "main"]).hasPrefix(published.description))
        // A branch that holds still: one build, one push.
        tips = []
        let next = try mirror.publish(to: options, branch: "main") { (tip) throws(GitError) -> ObjectID? in
            tips.append(tip)
            return try mirror.createCommit(parent: tip, changes: ["agent.yaml": .write(Array("y: 2\n".utf8))],
                                           message: CommitMessage(subject: "agent change 2"), author: agent, committer: agent)
        }
        #expect(tips == [published] && next != nil)
    }

    /// Two agents (through StewardGit) and a person (through the git CLI)
    /// push to one branch at the same moments: every commit of each ends up
    /// in history, nothing is forced, nothing is lost.
    @Test func concurrentWritersAllLand() throws {
        let (remote, seed, _) = try setUp()
        defer { remote.remove(); seed.remove() }
        let rounds = 50, personRounds = 15
        let agents = ["a", "b"]
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: agents.count + 1) { index in
            do {
                if index == agents.count {
                    try personPushes(rounds: personRounds, remote: remote.path)
                } else {
                    try agentPushes(agents[index], rounds: rounds, remote: remote.path)
                }
            } catch {
                failures.add("\(index): \(error)")
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        let subjects = try remote.git(["log", "--format=%s", "main"]).split(separator: "\n").map(String.init)
        for (name, count) in agents.map({ ($0, rounds) }) + [("person", personRounds)] {
            #expect(subjects.filter { $0.hasPrefix("\(name) round ") }.count == count, "\(name)")
            let lines = try remote.git(["show", "main:\(name).yaml"]).split(separator: "\n")
            #expect(lines == (0..<count).map { "- \($0)"[...] }, "\(name)")
        }
        _ = try remote.git(["fsck", "--strict"])
    }

    private func agentPushes(_ name: String, rounds: Int, remote: String) throws {
        let path = NSTemporaryDirectory() + "steward-writer-\(name)-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: path) }
        let mirror = try Repository.create(path, bare: true)
        let options = RemoteOptions(url: remote)
        for round in 0..<rounds {
            _ = try mirror.publish(to: options, branch: "main", attempts: 50) { (tip) throws(GitError) -> ObjectID in
                let file = "\(name).yaml"
                let current = try mirror.file(file, at: tip) ?? []
                return try mirror.createCommit(
                    parent: tip, changes: [file: .write(current + Array("- \(round)\n".utf8))],
                    message: CommitMessage(subject: "\(name) round \(round)", trailers: [(.actor, name)]),
                    author: agent, committer: agent)
            }
        }
    }

    /// A person with a clone: commit, then pull --rebase and push until it goes through.
    private func personPushes(rounds: Int, remote: String) throws {
        let clone = try GitFixture()
        defer { clone.remove() }
        try clone.git(["fetch", "-q", remote, "main"])
        try clone.git(["reset", "-q", "--hard", "FETCH_HEAD"])
        for round in 0..<rounds {
            let existing = (try? String(contentsOfFile: clone.path + "/person.yaml", encoding: .utf8)) ?? ""
            try clone.commit(["person.yaml": existing + "- \(round)\n"], message: "person round \(round)")
            var pushed = false
            for _ in 0..<100 where !pushed {
                do {
                    try clone.git(["push", "-q", remote, "HEAD:main"])
                    pushed = true
                } catch {
                    try clone.git(["pull", "-q", "--rebase", remote, "main"])
                }
            }
            guard pushed else { throw GitFixture.Failure(command: "push", output: "never went through") }
        }
    }

    @Test func unreachableRemotesFailWithoutHanging() throws {
        let mirror = try Repository.create(NSTemporaryDirectory() + "steward-mirror-" + UUID().uuidString, bare: true)
        #expect(throws: GitError.self) {
            try mirror.fetch(RemoteOptions(url: "/nonexistent/remote.git", timeout: 5), branch: "main")
        }
    }
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.lock(); items.append(item); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
