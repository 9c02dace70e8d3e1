import Foundation

/// What a commit's signature says about who made it.
public enum SignatureCheck: Sendable, Hashable, CustomStringConvertible {
    /// Signed by a key the allowed-signers file gives to `principal`.
    case verified(principal: String)
    case unsigned
    /// Signed, but the signature does not hold or its key is not allowed.
    case unverified(reason: String)
    /// Signed, and no trusted keys were given to check it against.
    case unchecked

    public var principal: String? {
        if case .verified(let principal) = self { principal } else { nil }
    }

    public var description: String {
        switch self {
        case .verified(let principal): "signed by \(principal)"
        case .unsigned: "unsigned"
        case .unverified(let reason): "not verified: \(reason)"
        case .unchecked: "signed; not checked (no trusted keys given)"
        }
    }
}

extension SignatureCheck: Encodable {
    /// Encoded as its description.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
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

    /// A verifier of the given trust files; nil when there are none (signatures are then not checked).
    public static func trusting(allowedSignersFile: String?, openPGPKeyring: String?) -> SignatureVerifier? {
        allowedSignersFile == nil && openPGPKeyring == nil ? nil : SignatureVerifier(allowedSignersFile: allowedSignersFile, openPGPKeyring: openPGPKeyring)
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

extension SSHKeygen {
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
