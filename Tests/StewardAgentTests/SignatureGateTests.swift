import Foundation
import StewardGit
import Testing
@testable import StewardAgent

/// The gate walks through the agent's own commits to what a person signed:
/// an unsigned change cannot hide under a status commit.
@Suite struct SignatureGateTests {
    /// A repository with keys for the agent and for Priya (the only person the allowed-signers file lists).
    final class Bench {
        let dir = NSTemporaryDirectory() + "steward-gate-" + UUID().uuidString
        let repository: Repository
        let gate: SignatureGate
        let priya: Repository

        /// An unsigned root commit, made by git itself.
        let root: ObjectID

        init() throws {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for key in ["agent", "priya"] { try Self.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", key, "-f", "\(dir)/\(key)"]) }
            let priyaKey = try String(contentsOfFile: dir + "/priya.pub", encoding: .utf8)
            try "priya@example.com \(priyaKey)".write(toFile: dir + "/allowed_signers", atomically: true, encoding: .utf8)
            try Self.run("/usr/bin/git", ["init", "-q", "-b", "main", dir + "/repo"])
            try Self.run("/usr/bin/git", ["-C", dir + "/repo", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
                                          "commit", "-q", "--allow-empty", "-m", "root"])
            repository = try Repository.open(dir + "/repo")
            root = try repository.resolveCommit("HEAD")
            var config = AgentConfig(repositoryURL: "file://\(dir)/repo")
            config.stateDirectory = dir
            config.identity = Signature(name: "Steward", email: "steward@example.com")
            config.allowedSignersFile = dir + "/allowed_signers"
            config.signingKey = dir + "/agent"
            gate = try SignatureGate(config: config, repository: repository)
            // Priya's commits are written through a second handle on the same repository, signed with her key.
            priya = try Repository.open(dir + "/repo")
            priya.signCommits(with: SSHCommitSigner(keyFile: dir + "/priya"))
        }

        deinit { try? FileManager.default.removeItem(atPath: dir) }

        static func run(_ program: String, _ arguments: [String]) throws {
            let process = try Process.run(URL(fileURLWithPath: program), arguments: arguments)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(program) \(arguments)")
        }

        /// A commit on `parent`, made (and signed, or not) through `by`.
        func commit(_ by: Repository, on parent: ObjectID, _ file: String) throws -> ObjectID {
            let person = Signature(name: "Someone", email: "someone@example.com")
            return try by.createCommit(parent: parent, changes: [file: .write(Array("a: 1\n".utf8))], message: CommitMessage(subject: file),
                                       author: person, committer: person)
        }
    }

    @Test func anUnsignedChangeIsFoundUnderTheAgentsOwnCommits() throws {
        let bench = try Bench()
        let unsigned = try Repository.open(bench.dir + "/repo")
        let signed = try bench.commit(bench.priya, on: bench.root, "a.yaml")
        let status = try bench.commit(bench.repository, on: signed, "status/a.yaml")
        // Acted on: the agent's status commit stands on Priya's.
        #expect(try bench.gate.refusal(of: status, lastGood: nil, policies: [], in: bench.repository) == nil)

        let sneaked = try bench.commit(unsigned, on: status, "b.yaml")
        let laundered = try bench.commit(bench.repository, on: try bench.commit(bench.repository, on: sneaked, "status/b.yaml"), "status/c.yaml")
        let refusal = try bench.gate.refusal(of: laundered, lastGood: status, policies: [], in: bench.repository)
        #expect(refusal == "commit \(sneaked.short) is not signed; the desired state must be signed by a key in \(bench.dir)/allowed_signers")
        // The agent's commits straight on the last good revision need no one else's signature.
        let next = try bench.commit(bench.repository, on: status, "status/d.yaml")
        #expect(try bench.gate.refusal(of: next, lastGood: status, policies: [], in: bench.repository) == nil)
    }
}
