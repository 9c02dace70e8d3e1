import Foundation

/// How Steward authenticates to the watched repository. Secrets live in
/// files that are read again on every fetch and push, so rotated
/// credentials work without a restart; they never appear in a message.
public enum Credentials: Sendable, Hashable {
    /// Local paths and `file://` URLs.
    case none
    /// `https://`: a user name and a token (or password) read from a file.
    case token(user: String, tokenFile: String)
    /// `ssh://`: a private key file, and the known_hosts file the server's
    /// key must be in (nil: `~/.ssh/known_hosts`). Host keys are always checked.
    case sshKey(user: String, privateKey: String, publicKey: String?, passphraseFile: String?, knownHosts: String?)

    /// The known_hosts file used when none is named.
    static var defaultKnownHosts: String {
        (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + "/.ssh/known_hosts"
    }

    /// A secret as read just now from its file, trailing newline removed.
    static func readSecret(_ path: String, what: String) throws(GitError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GitError(operation: "read \(what)", code: -1, message: "cannot read \(what) file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw GitError(operation: "read \(what)", code: -1, message: "\(what) file \(path) is empty") }
        return text
    }
}

/// The host keys an SSH server may present, from an OpenSSH known_hosts file.
struct KnownHosts {
    struct Entry: Hashable {
        var hosts: [String]
        var keyType: String
        var key: [UInt8]
    }

    var entries: [Entry]

    /// Parses `host[,host…] key-type base64-key [comment]` lines; comments,
    /// markers (`@revoked`, `@cert-authority`) and hashed host names are skipped.
    init(text: String) {
        entries = text.split(whereSeparator: \.isNewline).compactMap { line -> Entry? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3, !fields[0].hasPrefix("#"), !fields[0].hasPrefix("@"), !fields[0].hasPrefix("|"),
                  let key = Data(base64Encoded: String(fields[2])) else { return nil }
            return Entry(hosts: fields[0].split(separator: ",").map(String.init), keyType: String(fields[1]), key: [UInt8](key))
        }
    }

    /// Whether `key` is a known key of `host` (on `port`, written `[host]:port` when not 22).
    func accepts(host: String, port: Int?, key: [UInt8]) -> Bool {
        let name = port.map { $0 == 22 ? host : "[\(host)]:\($0)" } ?? host
        return entries.contains { $0.key == key && $0.hosts.contains(name) }
    }
}
