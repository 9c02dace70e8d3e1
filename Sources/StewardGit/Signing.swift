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

/// What a commit's signature says about who made it.
public enum SignatureCheck: Sendable, Hashable, CustomStringConvertible {
    /// Signed by a key the allowed-signers file gives to `principal`.
    case verified(principal: String)
    case unsigned
    /// Signed, but the signature does not hold or its key is not allowed.
    case unverified(reason: String)

    public var principal: String? {
        if case .verified(let principal) = self { principal } else { nil }
    }

    public var description: String {
        switch self {
        case .verified(let principal): "signed by \(principal)"
        case .unsigned: "unsigned"
        case .unverified(let reason): "not verified: \(reason)"
        }
    }
}

/// Checks SSH commit signatures against an allowed-signers file (the format
/// of `ssh-keygen -Y verify` and git's `gpg.ssh.allowedSignersFile`: one
/// `principal key-type key` per line). The file is read on every check, so
/// that a key added or revoked counts at once.
public struct SSHSignatureVerifier: Sendable {
    public let allowedSignersFile: String

    public init(allowedSignersFile: String) { self.allowedSignersFile = allowedSignersFile }

    /// Who signed, as far as the allowed-signers file can tell.
    public func check(_ signed: SignedContent?) -> SignatureCheck {
        guard let signed else { return .unsigned }
        guard signed.signature.hasPrefix(SSHKeygen.armourHeader) else {
            return .unverified(reason: "the signature is not an SSH signature (OpenPGP and X.509 are not checked)")
        }
        do {
            return try SSHKeygen.withSignatureFile(signed.signature) { (file) throws(GitError) -> SignatureCheck in
                let found = try SSHKeygen.run(["-Y", "find-principals", "-s", file, "-f", allowedSignersFile], input: [])
                let principals = found.output.split(whereSeparator: \.isNewline).map(String.init)
                guard found.status == 0, !principals.isEmpty else {
                    return .unverified(reason: "signed by a key that \(allowedSignersFile) does not list")
                }
                for principal in principals {
                    let verified = try SSHKeygen.run(["-Y", "verify", "-f", allowedSignersFile, "-I", principal, "-n", SSHKeygen.namespace,
                                                      "-s", file], input: signed.data)
                    if verified.status == 0 { return .verified(principal: principal) }
                }
                return .unverified(reason: "the signature does not match the commit (key of \(principals.joined(separator: ", ")))")
            }
        } catch {
            return .unverified(reason: error.description)
        }
    }
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

/// `ssh-keygen`, the signer and verifier git itself uses for SSH signatures.
enum SSHKeygen {
    /// git signs commits in this namespace; a signature made for another purpose does not verify as a commit's.
    static let namespace = "git"
    static let armourHeader = "-----BEGIN SSH SIGNATURE-----"
    /// A signature is a few milliseconds' work; a hung one must not hold the repository's lock.
    static let timeout: TimeInterval = 10

    struct Result {
        var status: Int32
        var output: String
        var errors: String
        /// What went wrong, in ssh-keygen's words.
        var problem: String {
            let said = errors.trimmingCharacters(in: .whitespacesAndNewlines)
            return said.isEmpty ? "ssh-keygen exited with \(status)" : said
        }
    }

    /// Runs ssh-keygen with `input` on its standard input.
    static func run(_ arguments: [String], input: [UInt8]) throws(GitError) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw GitError(operation: "run ssh-keygen", code: -1, message: "\(error) (install openssh-client)")
        }
        // Written from another thread: an input larger than the pipe's buffer must not wait for a reader that waits for us.
        let writer = stdin.fileHandleForWriting
        DispatchQueue.global().async {
            try? writer.write(contentsOf: Data(input))
            try? writer.close()
        }
        let deadline = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: deadline)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        deadline.cancel()
        if process.terminationReason == .uncaughtSignal {
            throw GitError(operation: "ssh-keygen \(arguments.prefix(2).joined(separator: " "))", code: -1,
                           message: "no answer within \(Int(timeout)) s")
        }
        return Result(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                      errors: String(decoding: errors, as: UTF8.self))
    }

    /// ssh-keygen reads a signature only from a file: one of its own, removed afterwards.
    static func withSignatureFile<T>(_ signature: String, _ body: (String) throws(GitError) -> T) throws(GitError) -> T {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("steward-signature-\(UUID().uuidString).sig").path
        guard FileManager.default.createFile(atPath: file, contents: Data(signature.utf8)) else {
            throw GitError(operation: "check a signature", code: -1, message: "cannot write \(file)")
        }
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try body(file)
    }
}
