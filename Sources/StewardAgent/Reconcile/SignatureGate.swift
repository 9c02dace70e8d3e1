import Foundation
import StewardGit
import StewardSpec

/// Who may steer the agent. When the agent config names an allowed-signers
/// file, or a Policy lists `allowedSigners`, a tip is acted on only if it is
/// signed by an allowed signer; otherwise it is refused like an invalid
/// revision, and the last good state is kept.
///
/// The agent's own signed commits vouch for nothing: the check walks back
/// through them to the last good revision or to the first commit someone
/// else made, so a status commit on top of an unsigned change does not make
/// that change acceptable. As with `git verify-commit` of a tip, the signer
/// of a commit vouches for its whole tree.
struct SignatureGate: Sendable {
    /// People's signatures, checked against the operator's allowed-signers file.
    let people: SignatureVerifier?
    /// The agent's own signatures, checked against its own public key.
    let own: SignatureVerifier?
    /// The most of its own commits in a row the agent walks through before it gives up.
    static let ownCommitLimit = 200

    /// Signs the repository's commits with the configured key, and writes the
    /// agent's own allowed-signers line to the state directory.
    init(config: AgentConfig, repository: Repository) throws {
        people = SignatureVerifier.trusting(allowedSignersFile: config.allowedSignersFile, openPGPKeyring: config.openPGPKeyring)
        guard let key = config.signingKey else {
            own = nil
            return
        }
        let signer = SSHCommitSigner(keyFile: key)
        let file = config.stateDirectory + "/own-allowed-signers"
        let publicKey: String
        do {
            publicKey = try signer.publicKey()
        } catch {
            // ssh-keygen frames its warnings in lines of '@'; the sentences are what a person needs.
            throw AgentConfigProblem(field: "signatures.signingKey",
                                     problem: error.message.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("@") }.joined(separator: " "))
        }
        try "\(config.identity.email) \(publicKey)\n".write(toFile: file, atomically: true, encoding: .utf8)
        repository.signCommits(with: signer)
        own = SignatureVerifier(allowedSignersFile: file)
    }

    /// Why `tip` may not be acted on; nil when it may. `policies` are the last
    /// good state's (a change to who may sign counts once it is itself accepted),
    /// or the tip's when there is no good state yet.
    func refusal(of tip: ObjectID, lastGood: ObjectID?, policies: [Policy], in repository: Repository) throws -> String? {
        let principals = Set(policies.flatMap(\.allowedSigners)).sorted()
        guard people != nil || !principals.isEmpty else { return nil }
        guard let people else {
            return "a Policy lists allowedSigners (\(principals.joined(separator: ", "))), but the agent has no "
                + "signatures.allowedSignersFile (or openPGPKeyring) to check signatures with"
        }
        var commit = tip
        for _ in 0..<Self.ownCommitLimit {
            if commit == lastGood { return nil }
            let signed = try repository.signedContent(of: commit)
            if let own, own.check(signed).principal != nil {
                guard let parent = try repository.firstParent(of: commit) else {
                    return "commit \(commit.short) is the agent's own and has no parent: nothing a person signed is below it"
                }
                commit = parent
                continue
            }
            let who = principals.isEmpty ? "a key in \(people.trustedKeys)" : "one of \(principals.joined(separator: ", "))"
            switch people.check(signed) {
            case .verified(let principal) where principals.isEmpty || principals.contains(principal):
                return nil
            case .verified(let principal):
                return "commit \(commit.short) is signed by \(principal), who is not among the Policy's allowedSigners (\(principals.joined(separator: ", ")))"
            case .unsigned:
                return "commit \(commit.short) is not signed; the desired state must be signed by \(who)"
            case .unverified(let reason):
                return "commit \(commit.short) is not signed by \(who): \(reason)"
            case .unchecked:
                return "commit \(commit.short) is signed, and there are no trusted keys to check it against"
            }
        }
        return "more than \(Self.ownCommitLimit) of the agent's own commits in a row above \(commit.short); none checked further"
    }
}

/// A config value that reads well but cannot be used (a signing key ssh-keygen
/// refuses): found when the agent starts, so that it exits as for a bad config.
public struct AgentConfigProblem: Error, CustomStringConvertible {
    public let field: String
    public let problem: String
    public var description: String { "\(field): \(problem)" }
}
