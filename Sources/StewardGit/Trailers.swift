/// The trailer vocabulary of Steward's commits (DESIGN.md section 5), in one
/// place: the agent writes these, `steward audit` reads them back.
public enum Trailer: String, Sendable, CaseIterable {
    case action = "Steward-Action"
    case rollout = "Steward-Rollout"
    case fromVersion = "Steward-From-Version"
    case toVersion = "Steward-To-Version"
    case reason = "Steward-Reason"
    case observedRevision = "Steward-Observed-Revision"
    case exposedRequests = "Steward-Exposed-Requests"
    /// Who asked: `agent`, or the person behind a manual control.
    case actor = "Steward-Actor"
    /// The agent lease's holder (an agent's id), where it runs, and until when.
    case leaseHolder = "Steward-Lease-Holder"
    case leaseHost = "Steward-Lease-Host"
    case leaseExpires = "Steward-Lease-Expires"
    /// One version's lifecycle transition and the policy rule behind it.
    case lifecycle = "Steward-Lifecycle"
    /// A gate's yes and what it said: `ROLLOUT POINT GATE VERSION: said`.
    case gate = "Steward-Gate"
    /// An upgrade proposal's model, its new base model, the source that listed it and the rule that picked it.
    case model = "Steward-Model"
    case baseModel = "Steward-Base-Model"
    case source = "Steward-Source"
    case rule = "Steward-Rule"
    /// With several agents: the replica that made the commit, and the term it held each shard it acted in under (`TERM shard N`).
    case replica = "Steward-Replica"
    case term = "Steward-Term"
}

/// A commit message: a subject, an optional body, and trailers.
public struct CommitMessage: Sendable, Hashable {
    public var subject: String
    public var body: String
    public var trailers: [(key: String, value: String)]

    public init(subject: String, body: String = "", trailers: [(Trailer, String)] = []) {
        self.subject = subject
        self.body = body
        self.trailers = trailers.map { ($0.0.rawValue, $0.1) }
    }

    /// The text git stores: trailers last, one per line, values on one line.
    public var text: String {
        var out = subject.replacingNewlines() + "\n"
        if !body.isEmpty { out += "\n" + body + (body.hasSuffix("\n") ? "" : "\n") }
        if !trailers.isEmpty {
            out += "\n" + trailers.map { "\($0.key): \($0.value.replacingNewlines())\n" }.joined()
        }
        return out
    }

    public static func == (a: CommitMessage, b: CommitMessage) -> Bool { a.text == b.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }
}

extension String {
    func replacingNewlines() -> String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
