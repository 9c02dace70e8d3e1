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

/// Checks commit signatures, as `git verify-commit` does: SSH signatures
/// against an allowed-signers file (the format of `ssh-keygen -Y verify` and
/// git's `gpg.ssh.allowedSignersFile`: one `principal key-type key` per line),
/// OpenPGP signatures against a keyring of trusted public keys (`gpg --export`
/// output, checked by `gpgv`, the principal being the email of the key's user
/// id). The files are read on every check, so that a key added or revoked
/// counts at once.
public struct SignatureVerifier: Sendable {
    public let allowedSignersFile: String?
    public let openPGPKeyring: String?

    public init(allowedSignersFile: String?, openPGPKeyring: String? = nil) {
        self.allowedSignersFile = allowedSignersFile
        self.openPGPKeyring = openPGPKeyring
    }

    /// Where the trusted keys are, for messages.
    public var trustedKeys: String { [allowedSignersFile, openPGPKeyring].compactMap { $0 }.joined(separator: " or ") }

    /// Who signed, as far as the trusted keys can tell.
    public func check(_ signed: SignedContent?) -> SignatureCheck {
        guard let signed else { return .unsigned }
        do {
            if signed.signature.hasPrefix(SSHKeygen.armourHeader) {
                guard let allowedSignersFile else { return .unverified(reason: "an SSH signature, and no allowed-signers file to check it against") }
                return try SSHKeygen.verify(signed, allowedSignersFile: allowedSignersFile)
            }
            if signed.signature.hasPrefix(OpenPGP.armourHeader) {
                guard let openPGPKeyring else { return .unverified(reason: "an OpenPGP signature, and no OpenPGP keyring to check it against") }
                return try OpenPGP.verify(signed, keyring: openPGPKeyring)
            }
            return .unverified(reason: "neither an SSH nor an OpenPGP signature (X.509 is not checked)")
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

    /// Runs ssh-keygen with `input` on its standard input.
    static func run(_ arguments: [String], input: [UInt8]) throws(GitError) -> SigningTool.Result {
        try SigningTool.run("/usr/bin/ssh-keygen", arguments, input: input, install: "openssh-client")
    }

    /// Finds the principals the file gives the signature's key, then verifies the signature as one of theirs.
    static func verify(_ signed: SignedContent, allowedSignersFile: String) throws(GitError) -> SignatureCheck {
        try SigningTool.withSignatureFile(signed.signature) { (file) throws(GitError) -> SignatureCheck in
            let found = try run(["-Y", "find-principals", "-s", file, "-f", allowedSignersFile], input: [])
            let principals = found.output.split(whereSeparator: \.isNewline).map(String.init)
            guard found.status == 0, !principals.isEmpty else {
                return .unverified(reason: "signed by a key that \(allowedSignersFile) does not list")
            }
            for principal in principals {
                let verified = try run(["-Y", "verify", "-f", allowedSignersFile, "-I", principal, "-n", namespace, "-s", file], input: signed.data)
                if verified.status == 0 { return .verified(principal: principal) }
            }
            return .unverified(reason: "the signature does not match the commit (key of \(principals.joined(separator: ", ")))")
        }
    }
}

/// `gpgv`, GnuPG's verifier for a keyring that is trusted as a whole (as apt uses it).
enum OpenPGP {
    static let armourHeader = "-----BEGIN PGP SIGNATURE-----"

    /// Verifies with `gpgv --status-fd`: a good signature is `GOODSIG` with `VALIDSIG`; the principal is the email of the user id.
    static func verify(_ signed: SignedContent, keyring: String) throws(GitError) -> SignatureCheck {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("steward-gnupg-\(UUID().uuidString)").path
        guard (try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])) != nil else {
            throw GitError(operation: "check a signature", code: -1, message: "cannot make \(home)")
        }
        defer { try? FileManager.default.removeItem(atPath: home) }
        return try SigningTool.withSignatureFile(signed.signature) { (file) throws(GitError) -> SignatureCheck in
            let result = try SigningTool.run("/usr/bin/gpgv", ["--homedir", home, "--keyring", keyring, "--status-fd", "1", file, "-"],
                                             input: signed.data, install: "gpgv")
            let status = result.output.split(whereSeparator: \.isNewline).map { $0.split(separator: " ", maxSplits: 3).map(String.init) }
            func line(_ keyword: String) -> [String]? { status.first { $0.count >= 2 && $0[0] == "[GNUPG:]" && $0[1] == keyword } }
            if result.status == 0, line("VALIDSIG") != nil, let good = line("GOODSIG"), good.count == 4 {
                let userID = good[3]
                let email = userID.split(separator: "<").last.map { String($0.prefix { $0 != ">" }) }
                return .verified(principal: userID.contains("<") ? email ?? userID : userID)
            }
            if line("NO_PUBKEY") != nil { return .unverified(reason: "signed by an OpenPGP key that \(keyring) does not hold") }
            if line("BADSIG") != nil { return .unverified(reason: "the signature does not match the commit") }
            return .unverified(reason: "gpgv: " + result.problem)
        }
    }
}

/// The signing programs, run with their input on standard input and a deadline.
enum SigningTool {
    /// A signature is a few milliseconds' work; a hung one must not hold the repository's lock.
    static let timeout: TimeInterval = 10

    struct Result {
        var program: String
        var status: Int32
        var output: String
        var errors: String
        /// What went wrong, in the program's words.
        var problem: String {
            let said = errors.trimmingCharacters(in: .whitespacesAndNewlines)
            return said.isEmpty ? "\(program) exited with \(status)" : said
        }
    }

    /// Runs `program` with `input` on its standard input; `install` names the Debian package that has it.
    static func run(_ program: String, _ arguments: [String], input: [UInt8], install: String) throws(GitError) -> Result {
        let name = URL(fileURLWithPath: program).lastPathComponent
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw GitError(operation: "run \(name)", code: -1, message: "\(error) (install \(install))")
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
            throw GitError(operation: "\(name) \(arguments.prefix(2).joined(separator: " "))", code: -1, message: "no answer within \(Int(timeout)) s")
        }
        return Result(program: name, status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                      errors: String(decoding: errors, as: UTF8.self))
    }

    /// The verifiers read a signature only from a file: one of its own, removed afterwards.
    static func withSignatureFile<T>(_ signature: String, _ body: (String) throws(GitError) -> T) throws(GitError) -> T {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("steward-signature-\(UUID().uuidString).sig").path
        guard FileManager.default.createFile(atPath: file, contents: Data(signature.utf8)) else {
            throw GitError(operation: "check a signature", code: -1, message: "cannot write \(file)")
        }
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try body(file)
    }
}
