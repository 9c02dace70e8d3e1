import Foundation
import Testing
@testable import StewardGit

/// SSH-signed commits, with keys made by the real `ssh-keygen`, checked both
/// ways against git itself: git verifies what Steward signs, Steward verifies
/// what git signs.
@Suite struct SigningTests {
    /// Three keys in a folder of their own; the allowed-signers file lists the first two.
    struct Keys {
        let folder: String
        var agent: String { folder + "/agent" }
        var priya: String { folder + "/priya" }
        var stranger: String { folder + "/stranger" }
        var allowedSigners: String { folder + "/allowed_signers" }

        init() throws {
            folder = NSTemporaryDirectory() + "steward-keys-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for name in ["agent", "priya", "stranger"] {
                _ = try SSHKeygen.run(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", folder + "/" + name], input: [])
            }
            let lines = try [("steward@example.com", agent), ("priya@example.com", priya)].map { principal, key in
                principal + " " + (try SSHCommitSigner(keyFile: key).publicKey())
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: allowedSigners, atomically: true, encoding: .utf8)
        }

        func remove() { try? FileManager.default.removeItem(atPath: folder) }
    }

    @Test func gitVerifiesTheCommitsAndRevertsStewardSigns() throws {
        let keys = try Keys(), fixture = try GitFixture()
        defer { keys.remove(); fixture.remove() }
        let base = try #require(ObjectID(hex: fixture.commit(["deploy/a.yaml": "a: 1\n"], message: "base")))
        let repository = try Repository.open(fixture.path)
        repository.signCommits(with: SSHCommitSigner(keyFile: keys.agent))
        let agent = Signature(name: "Steward", email: "steward@example.com")
        let edit = try repository.createCommit(parent: base, changes: ["deploy/a.yaml": .write(Array("a: 2\n".utf8))],
                                               message: CommitMessage(subject: "edit", trailers: [(.action, "status")]), author: agent, committer: agent)
        let revert = try repository.createRevert(of: edit, onto: edit, author: agent, committer: agent)
        try repository.moveBranch("main", from: base, to: revert, reason: "test")

        for commit in [edit, revert] {
            // git's own check: verify-commit exits non-zero (and the fixture throws) when the signature does not hold.
            try fixture.git(["-c", "gpg.ssh.allowedSignersFile=" + keys.allowedSigners, "verify-commit", commit.description])
            #expect(SignatureVerifier(allowedSignersFile: keys.allowedSigners).check(try repository.signedContent(of: commit))
                    == .verified(principal: "steward@example.com"))
        }
        // The signature covers the commit's bytes: the tree git reads is the one Steward wrote.
        #expect(try fixture.git(["show", "main:deploy/a.yaml"]) == "a: 1\n")
        #expect(try repository.signedContent(of: base) == nil)
    }

    @Test func stewardVerifiesWhatGitSigns() throws {
        let keys = try Keys(), fixture = try GitFixture()
        defer { keys.remove(); fixture.remove() }
        func signedCommit(_ key: String, _ file: String) throws -> ObjectID {
            try fixture.write(file, "x: 1\n")
            try fixture.git(["add", "-A"])
            try fixture.git(["-c", "gpg.format=ssh", "-c", "user.signingkey=" + key, "commit", "-q", "-S", "-m", file])
            return try #require(ObjectID(hex: fixture.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let unsigned = try #require(ObjectID(hex: fixture.commit(["a.yaml": "a: 1\n"], message: "unsigned")))
        let byPriya = try signedCommit(keys.priya, "b.yaml")
        let byStranger = try signedCommit(keys.stranger, "c.yaml")
        let repository = try Repository.open(fixture.path)
        let verifier = SignatureVerifier(allowedSignersFile: keys.allowedSigners)

        #expect(verifier.check(try repository.signedContent(of: unsigned)) == .unsigned)
        #expect(verifier.check(try repository.signedContent(of: byPriya)) == .verified(principal: "priya@example.com"))
        let stranger = verifier.check(try repository.signedContent(of: byStranger))
        #expect(stranger.principal == nil)
        #expect(stranger.description.contains("does not list"))

        // Priya's signature moved onto other bytes (a commit rewritten under her name) does not hold.
        var forged = try #require(try repository.signedContent(of: byPriya))
        forged.data += Array("tampered\n".utf8)
        let check = verifier.check(forged)
        #expect(check.principal == nil)
        #expect(check.description.contains("does not match"))
    }

    @Test func aMissingKeyIsAClearError() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let base = try #require(ObjectID(hex: fixture.commit(["a.yaml": "a: 1\n"], message: "base")))
        let repository = try Repository.open(fixture.path)
        repository.signCommits(with: SSHCommitSigner(keyFile: fixture.path + "/no-such-key"))
        let agent = Signature(name: "Steward", email: "steward@example.com")
        #expect {
            try repository.createCommit(parent: base, changes: ["a.yaml": .write(Array("a: 2\n".utf8))],
                                        message: CommitMessage(subject: "edit"), author: agent, committer: agent)
        } throws: { error in
            "\(error)".contains("sign a commit with \(fixture.path)/no-such-key")
        }
    }

    /// OpenPGP: git signs with a GnuPG key of its own home; Steward checks it with `gpgv` against the exported public key.
    @Test func openPGPSignaturesAreCheckedAgainstAKeyring() throws {
        let fixture = try GitFixture()
        let home = NSTemporaryDirectory() + "steward-gnupg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        func run(_ arguments: [String], output: String? = nil) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: fixture.path)
            process.environment = ProcessInfo.processInfo.environment.merging(["GNUPGHOME": home]) { $1 }
            if let output {
                FileManager.default.createFile(atPath: output, contents: nil)
                process.standardOutput = FileHandle(forWritingAtPath: output)
            } else {
                process.standardOutput = FileHandle.nullDevice
            }
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        defer {
            // gpg started an agent for its home: stopped here, so that nothing is left running.
            _ = try? run(["gpgconf", "--kill", "gpg-agent"])
            fixture.remove()
            try? FileManager.default.removeItem(atPath: home)
        }
        #expect(try run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Priya <priya@example.com>", "ed25519", "sign", "never"]) == 0)
        #expect(try run(["gpg", "--batch", "--export", "priya@example.com"], output: home + "/trusted.gpg") == 0)
        try fixture.write("a.yaml", "a: 1\n")
        try fixture.git(["add", "-A"])
        #expect(try run(["git", "-c", "user.name=Priya", "-c", "user.email=priya@example.com", "-c", "gpg.format=openpgp",
                         "-c", "user.signingkey=priya@example.com", "commit", "-q", "-S", "-m", "signed with GnuPG"]) == 0)
        let repository = try Repository.open(fixture.path)
        let signed = try repository.signedContent(of: try repository.resolveCommit("HEAD"))
        #expect(signed?.signature.hasPrefix("-----BEGIN PGP SIGNATURE-----") == true)

        #expect(SignatureVerifier(allowedSignersFile: nil, openPGPKeyring: home + "/trusted.gpg").check(signed) == .verified(principal: "priya@example.com"))
        FileManager.default.createFile(atPath: home + "/empty.gpg", contents: Data())
        let unknown = SignatureVerifier(allowedSignersFile: nil, openPGPKeyring: home + "/empty.gpg").check(signed)
        #expect(unknown.principal == nil && unknown.description.contains("does not hold"), "\(unknown)")
        // Without a keyring, an OpenPGP signature is not taken on trust.
        let noKeyring = SignatureVerifier(allowedSignersFile: "/nonexistent").check(signed)
        #expect(noKeyring.principal == nil && noKeyring.description.contains("no OpenPGP keyring"), "\(noKeyring)")
    }
}
