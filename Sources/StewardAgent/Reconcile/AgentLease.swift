import Foundation
import StewardGit
import Synchronization

/// One agent with its own SQLite store acts on a branch at a time (several
/// agents share a PostgreSQL store and its shard leases instead, see
/// `ShardLeases`): a second agent started on the same remote, with
/// a state directory of its own, must not commit beside the first and
/// publish routes that disagree. The lease is a ref on the remote (not a
/// branch), `refs/steward/lease/BRANCH`, whose commit names its holder and
/// until when; it is
/// taken and renewed by a push that must be a fast-forward of the tip just
/// read (git's compare-and-swap), so two agents cannot both take it. The
/// holder renews it when half its time has passed; an agent that stops
/// renewing (stopped, or cut off) lets another take over when it expires.
final class AgentLease: Sendable {
    /// How long a claim holds without renewal: an agent that dies is replaced after at most this.
    static let duration: TimeInterval = 600

    let branch: String
    /// This agent's id (kept in its state directory) and where it runs, for people.
    let holder: String
    let host: String
    let identity: Signature
    /// Until when this agent's own last claim runs: while more than half of
    /// it is left, no other agent can take the lease, so it is not read again.
    private let heldUntil = Mutex<Date?>(nil)

    init(branch: String, holder: String, host: String, identity: Signature) {
        self.branch = branch
        self.holder = holder
        self.host = host
        self.identity = identity
    }

    /// Whether this agent may act, and if not, why.
    enum Standing: Sendable, Equatable {
        case held
        case refused(String)
    }

    var leaseBranch: String { "refs/steward/lease/\(branch)" }

    /// Reads the lease and takes or renews it when it is free, expired or
    /// ours; refuses when another agent holds it.
    func claim(in repository: Repository, remote: RemoteOptions, now: Date) throws(GitError) -> Standing {
        if let until = heldUntil.withLock({ $0 }), until.timeIntervalSince(now) > Self.duration / 2 { return .held }
        heldUntil.withLock { $0 = nil }
        let tip = try repository.fetchIfPresent(remote, branch: leaseBranch)?.tip
        if let tip, let current = try repository.log(from: tip, limit: 1).first {
            let expires = current.trailer(.leaseExpires).flatMap(ISOTime.seconds).map { Date(timeIntervalSince1970: $0) } ?? .distantPast
            let theirs = current.trailer(.leaseHolder) ?? ""
            if theirs != holder, expires > now {
                return .refused("another agent (\(current.trailer(.leaseHost) ?? theirs)) holds the lease on \(branch) until "
                                + "\(ISOTime.string(expires)) (\(leaseBranch) on the remote); agents with their own "
                                + "SQLite stores cannot share a branch: stop one of them, or give them a shared PostgreSQL store (store: {postgres: …})")
            }
            if theirs == holder, expires.timeIntervalSince(now) > Self.duration / 2 {
                heldUntil.withLock { $0 = expires }
                return .held
            }
        }
        let expires = now.addingTimeInterval(Self.duration)
        let message = CommitMessage(subject: "Steward lease on \(branch)", body: "The agent acting on \(branch); renewed while it runs.",
                                    trailers: [(.leaseHolder, holder), (.leaseHost, host), (.leaseExpires, ISOTime.string(expires))])
        let claim = try repository.createEmptyCommit(parent: tip, message: message, author: identity, committer: identity)
        do {
            try repository.push(claim, to: remote, branch: leaseBranch, expected: tip)
        } catch where error.isConflictOnReference {
            return .refused("another agent took the lease on \(branch) at the same moment; looking again at the next fetch")
        }
        heldUntil.withLock { $0 = expires }
        return .held
    }

    /// Gives the lease up, if this agent holds it, so that another agent may
    /// act at once rather than after it expires (a graceful stop).
    func release(in repository: Repository, remote: RemoteOptions, now: Date) throws(GitError) {
        heldUntil.withLock { $0 = nil }
        let tip = try repository.fetch(remote, branch: leaseBranch).tip
        guard let current = try repository.log(from: tip, limit: 1).first, current.trailer(.leaseHolder) == holder else { return }
        let message = CommitMessage(subject: "Steward lease on \(branch) released", body: "The agent stopped.",
                                    trailers: [(.leaseHolder, holder), (.leaseHost, host), (.leaseExpires, ISOTime.string(now))])
        let released = try repository.createEmptyCommit(parent: tip, message: message, author: identity, committer: identity)
        try repository.push(released, to: remote, branch: leaseBranch, expected: tip)
    }

    /// This agent's id: made once, kept in the state directory.
    static func agentID(stateDirectory: String) -> String {
        let file = stateDirectory + "/agent-id"
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
            let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !id.isEmpty { return id }
        }
        let id = UUID().uuidString.lowercased()
        try? (id + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        return id
    }
}
