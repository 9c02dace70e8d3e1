import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StewardTesting
import Testing

/// Signed desired state, with the real agent and keys made by `ssh-keygen`:
/// a tip signed by an allowed key is acted on; an unsigned one, or one signed
/// by another key, is not, and the status says why. The agent signs its own
/// commits, and git verifies them.
@Suite(.serialized) struct AgentSigningTests {
    typealias World = AgentEndToEndTests.World

    /// A key pair in the world's folder; returns the private key's path.
    static func makeKey(_ name: String, in world: World) throws -> String {
        let path = world.dir + "/keys/" + name
        try FileManager.default.createDirectory(atPath: world.dir + "/keys", withIntermediateDirectories: true)
        let made = try Subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path], in: world.dir)
        #expect(made.status == 0)
        return path
    }

    static func publicKey(_ key: String) throws -> String {
        try String(contentsOfFile: key + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Commits every change in the person's clone, signed with `key` (nil: unsigned), and pushes it; returns the commit.
    /// The agent may push between the person's pull and push: then the person pulls (rebasing, which signs again) and pushes again.
    static func push(_ world: World, _ message: String, signedWith key: String?) throws -> String {
        let signing = key.map { ["-c", "gpg.format=ssh", "-c", "user.signingkey=" + $0, "-c", "commit.gpgsign=true"] } ?? []
        func git(_ arguments: [String]) throws -> Int32 {
            try Subprocess.run(["git", "-c", "user.name=Priya", "-c", "user.email=priya@example.com"] + signing + arguments,
                               in: world.dir + "/work", mergingErrors: true).status
        }
        #expect(try git(["add", "-A"]) == 0)
        #expect(try git(["commit", "-q", "--allow-empty", "-m", message]) == 0)
        for _ in 0..<5 {
            #expect(try git(["pull", "-q", "--rebase", world.dir + "/remote.git", "main"]) == 0)
            if try git(["push", "-q", world.dir + "/remote.git", "main"]) == 0 { break }
        }
        let pushed = try world.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try world.remoteGit(["rev-parse", "main"]).hasPrefix(pushed))
        return pushed
    }

    /// A new development version of the model: a change the audit shows.
    static func addVersion(_ version: String, in world: World) throws {
        let model = world.dir + "/work/models/customer-support-agent.yaml"
        try (try String(contentsOfFile: model, encoding: .utf8) + """

                - version: \(version)
                  baseModel: gpt-4.1
                  promptTemplate: {name: support-system, version: 3.3.0}
                  status: development
                  parent: 2.4.0

            """).write(toFile: model, atomically: true, encoding: .utf8)
    }

    static func status(port: Int) async throws -> [String: Any] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/status")!)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Whether the agent acts on `commit` or on its own commits made on top of it.
    static func actsOn(_ commit: String, _ report: [String: Any], in world: World) throws -> Bool {
        guard let desired = report["desiredRevision"] as? String else { return false }
        return try Subprocess.run(["git", "--git-dir", world.dir + "/remote.git", "merge-base", "--is-ancestor", commit, desired], in: world.dir).status == 0
    }

    /// Waits (10 s at most) until the agent acts on `commit` or refuses it; returns the status.
    static func waitFor(_ commit: String, port: Int, in world: World) async throws -> [String: Any] {
        var report: [String: Any] = [:]
        for _ in 0..<100 {
            report = try await status(port: port)
            // Refused: the reason names it (the refused tip may already be the agent's own status commit on top of it).
            if try actsOn(commit, report, in: world) || (report["invalidDiagnostics"] as? [String])?.first?.hasPrefix("commit \(commit.prefix(7))") == true {
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return report
    }

    @Test func onlyTipsSignedByAnAllowedKeyAreActedOn() async throws {
        let world = try World()
        let agentKey = try Self.makeKey("agent", in: world), priya = try Self.makeKey("priya", in: world)
        let stranger = try Self.makeKey("stranger", in: world)
        // The operator's file lists the people; the agent trusts its own key by itself.
        let allowed = world.dir + "/keys/allowed_signers"
        try "priya@example.com \(try Self.publicKey(priya))\nstranger@example.com \(try Self.publicKey(stranger))\n"
            .write(toFile: allowed, atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: world.dir + "/agent.yaml", encoding: .utf8)
            + "\nsignatures: {allowedSignersFile: \(allowed), signingKey: \(agentKey)}\n"
        try config.write(toFile: world.dir + "/agent.yaml", atomically: true, encoding: .utf8)
        // Priya signs the Policy that names her as the only allowed signer; the stranger's key is in the file but not in the Policy.
        let policy = world.dir + "/work/policies/default.yaml"
        try (try String(contentsOfFile: policy, encoding: .utf8)).replacingOccurrences(
            of: "  # allowedSigners: [ml-team@example.com, priya@example.com]", with: "  allowedSigners: [priya@example.com]")
            .write(toFile: policy, atomically: true, encoding: .utf8)
        let signedBase = try Self.push(world, "Only Priya may sign", signedWith: priya)

        let port = try world.start()
        var report = try await Self.waitFor(signedBase, port: port, in: world)
        #expect(try Self.actsOn(signedBase, report, in: world), "\(report)")
        #expect(report["invalidRevision"] == nil || report["invalidRevision"] is NSNull)
        // The agent's status commit is signed with its key, and git itself verifies it.
        _ = try await AgentEndToEndTests.drive(world, port: port, canaryErrors: 0.01, seconds: 15) {
            try world.remoteGit(["log", "--format=%s"]).contains("canary at 20%")
        }
        let agentSigners = world.dir + "/keys/agent_signers"
        try "steward@example.com \(try Self.publicKey(agentKey))\n".write(toFile: agentSigners, atomically: true, encoding: .utf8)
        let agentCommit = try world.remoteGit(["log", "-1", "--format=%H", "--grep=canary at 20%"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let verified = try Subprocess.run(["git", "--git-dir", world.dir + "/remote.git", "-c", "gpg.ssh.allowedSignersFile=" + agentSigners,
                                           "verify-commit", agentCommit], in: world.dir, mergingErrors: true)
        #expect(verified.status == 0 && verified.output.contains("Good \"git\" signature for steward@example.com"), "\(verified.output)")

        // An unsigned push is not acted on, and the agent's own commits on top of it do not make it acceptable.
        try Self.addVersion("2.5.0", in: world)
        let unsigned = try Self.push(world, "Unsigned change", signedWith: nil)
        report = try await Self.waitFor(unsigned, port: port, in: world)
        #expect(report["invalidRevision"] as? String != nil, "\(report)")
        #expect((report["invalidDiagnostics"] as? [String])?.first
                == "commit \(unsigned.prefix(7)) is not signed; the desired state must be signed by one of priya@example.com", "\(report)")
        #expect(try !Self.actsOn(unsigned, report, in: world))

        // Signed, but by a key the Policy does not allow.
        try Self.addVersion("2.5.1", in: world)
        let byStranger = try Self.push(world, "Stranger's change", signedWith: stranger)
        report = try await Self.waitFor(byStranger, port: port, in: world)
        #expect((report["invalidDiagnostics"] as? [String])?.first
                == "commit \(byStranger.prefix(7)) is signed by stranger@example.com, who is not among the Policy's allowedSigners (priya@example.com)",
                "\(report)")
        let text = try CommandLineTests().steward(["status", "--agent", "http://127.0.0.1:\(port)"]).output
        #expect(text.contains("is signed by stranger@example.com, who is not among"), "\(text)")

        // Priya signs on top: the tip is acted on again (her signature vouches for the tree).
        try Self.addVersion("2.5.2", in: world)
        let byPriya = try Self.push(world, "Reviewed by Priya", signedWith: priya)
        report = try await Self.waitFor(byPriya, port: port, in: world)
        #expect(try Self.actsOn(byPriya, report, in: world), "\(report)")
        #expect((report["invalidDiagnostics"] as? [String]) == [])
        #expect(world.stop() == 0)

        // The audit says for each commit whose signature it carries.
        try "steward@example.com \(try Self.publicKey(agentKey))\n".write(toFile: agentSigners, atomically: true, encoding: .utf8)
        try (try String(contentsOfFile: allowed, encoding: .utf8) + "steward@example.com \(try Self.publicKey(agentKey))\n")
            .write(toFile: allowed, atomically: true, encoding: .utf8)
        let audit = try CommandLineTests().steward(["audit", "--repo", world.dir + "/remote.git", "--agent-email", "steward@example.com",
                                                    "--allowed-signers", allowed, "--format", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(audit.output.utf8)) as? [[String: Any]])
        func signature(_ commit: String) -> String? { rows.first { commit.hasPrefix($0["commit"] as? String ?? "-") }?["signature"] as? String }
        #expect(signature(unsigned) == "unsigned", "\(rows)")
        #expect(signature(byStranger) == "signed by stranger@example.com")
        #expect(signature(byPriya) == "signed by priya@example.com")
        #expect(signature(agentCommit) == "signed by steward@example.com")
        #expect(rows.first { $0["commit"] as? String == String(agentCommit.prefix(7)) }?["kind"] as? String == "agent")
    }
}
