import Foundation
import Testing
@testable import StewardGit

@Suite struct CredentialTests {
    @Test func secretsAreReadAgainOnEveryUse() throws {
        let file = NSTemporaryDirectory() + "steward-token-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "first-token\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try Credentials.readSecret(file, what: "token") == "first-token")
        try "rotated-token\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try Credentials.readSecret(file, what: "token") == "rotated-token")
    }

    @Test func missingOrEmptySecretsNameTheFileNotTheSecret() throws {
        let file = NSTemporaryDirectory() + "steward-token-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: file) }
        do {
            _ = try Credentials.readSecret(file, what: "token")
            Issue.record("read a missing file")
        } catch {
            #expect(error.description == "read token: cannot read token file \(file)")
        }
        try "\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: GitError.self) { try Credentials.readSecret(file, what: "token") }
    }

    /// A token given to a remote that refuses it never shows up in the error.
    @Test func aFailedAuthenticationDoesNotLeakTheToken() throws {
        let file = NSTemporaryDirectory() + "steward-token-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "sup3r-s3cret".write(toFile: file, atomically: true, encoding: .utf8)
        let mirror = try Repository.create(NSTemporaryDirectory() + "steward-mirror-" + UUID().uuidString, bare: true)
        // Nothing listens on this loopback port: the connection fails at once.
        let options = RemoteOptions(url: "https://steward:sup3r-s3cret@127.0.0.1:9/org/repo.git",
                                    credentials: .token(user: "steward", tokenFile: file), timeout: 10)
        do {
            _ = try mirror.fetch(options, branch: "main")
            Issue.record("fetched from nowhere")
        } catch {
            #expect(!error.description.contains("sup3r-s3cret"), "\(error)")
            #expect(!error.message.contains("sup3r-s3cret"))
        }
    }

    @Test func knownHostsMatchHostPortAndKey() throws {
        let key: [UInt8] = [0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [0, 0, 0, 32] + [UInt8](repeating: 7, count: 32)
        let other: [UInt8] = key.dropLast() + [8]
        let encoded = Data(key).base64EncodedString()
        let known = KnownHosts(text: """
            # comment
            git.example.com,10.0.0.5 ssh-ed25519 \(encoded) ops@example.com
            [127.0.0.1]:2222 ssh-ed25519 \(encoded)
            @revoked bad.example.com ssh-ed25519 \(encoded)
            |1|hashed= ssh-ed25519 \(encoded)
            """)
        #expect(known.entries.count == 2)
        #expect(known.accepts(host: "git.example.com", port: nil, key: key))
        #expect(known.accepts(host: "git.example.com", port: 22, key: key))
        #expect(!known.accepts(host: "git.example.com", port: 22, key: other))
        #expect(known.accepts(host: "127.0.0.1", port: 2222, key: key))
        #expect(!known.accepts(host: "127.0.0.1", port: nil, key: key))
        #expect(!known.accepts(host: "bad.example.com", port: nil, key: key))
    }
}
