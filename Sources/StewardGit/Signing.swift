import CGit2
import Foundation

/// Signs commits as `git commit -S` does with `gpg.format=ssh`: the commit's
/// bytes, signed by `ssh-keygen -Y sign` in the `git` namespace, kept in the
/// commit's `gpgsig` header. `git verify-commit` checks such a commit.
public struct SSHCommitSigner: Sendable {
    /// The private key (OpenSSH format, no passphrase, readable by its owner only).
    public let keyFile: String

    public init(keyFile: String) { self.keyFile = keyFile }

    /// The armoured signature of `content`.
    func sign(_ content: [UInt8]) throws(GitError) -> String {
        let result = try SSHKeygen.run(["-Y", "sign", "-q", "-f", keyFile, "-n", SSHKeygen.namespace], input: content)
        guard result.status == 0, result.output.hasPrefix(SSHKeygen.armourHeader) else {
            throw GitError(operation: "sign a commit with \(keyFile)", code: -1, message: result.problem)
        }
        return result.output
    }

    /// The public key (`ssh-ed25519 AAAA…`), as a line of an allowed-signers file needs it.
    public func publicKey() throws(GitError) -> String {
        let result = try SSHKeygen.run(["-y", "-f", keyFile], input: [])
        guard result.status == 0, !result.output.isEmpty else {
            throw GitError(operation: "read the public key of \(keyFile)", code: -1, message: result.problem)
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A commit's signature and the bytes it signs (the commit without its `gpgsig` header).
public struct SignedContent: Sendable, Hashable {
    public var signature: String
    public var data: [UInt8]
}

extension Repository {
    /// Signs every commit this repository creates from now on (nil: none).
    public func signCommits(with signer: SSHCommitSigner?) {
        lock.lock()
        defer { lock.unlock() }
        commitSigner = signer
    }

    /// The commit's signature and what it signs; nil for an unsigned commit.
    public func signedContent(of commit: ObjectID) throws(GitError) -> SignedContent? {
        try locked { () throws(GitError) -> SignedContent? in
            var signature = git_buf(), data = git_buf()
            defer {
                git_buf_dispose(&signature)
                git_buf_dispose(&data)
            }
            var oid = commit.raw
            let result = git_commit_extract_signature(&signature, &data, pointer, &oid, nil)
            if result == GIT_ENOTFOUND.rawValue { return nil }
            try check("read the signature of \(commit.short)", result)
            return SignedContent(signature: String(decoding: Self.bytes(signature), as: UTF8.self), data: Self.bytes(data))
        }
    }

    /// Writes a commit object with `content` signed by `signer`.
    func unlockedSignedCommit(_ content: git_buf, signer: SSHCommitSigner) throws(GitError) -> ObjectID {
        let signature = try signer.sign(Self.bytes(content))
        var commitID = git_oid()
        try check("write the signed commit", git_commit_create_with_signature(&commitID, pointer, content.ptr, signature, nil))
        return ObjectID(commitID)
    }

    static func bytes(_ buffer: git_buf) -> [UInt8] {
        guard let start = buffer.ptr, buffer.size > 0 else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: start, count: buffer.size))
    }
}
