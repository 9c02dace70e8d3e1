/// Where a model version is in its life. Versions move forward only, along
/// the edges of ``legalSuccessors``.
public enum LifecycleStatus: String, Sendable, Hashable, CaseIterable {
    case development, staging, candidate, production, deprecated, archived

    /// The statuses a version may move to from this one.
    public var legalSuccessors: Set<LifecycleStatus> {
        switch self {
        case .development: [.staging, .archived]
        case .staging: [.candidate, .development, .archived]
        case .candidate: [.production, .staging, .deprecated, .archived]
        case .production: [.deprecated]
        case .deprecated: [.production, .archived]
        case .archived: []
        }
    }

    /// Whether `next` may follow this status (staying put is allowed).
    public func canMove(to next: LifecycleStatus) -> Bool { next == self || legalSuccessors.contains(next) }

    /// Statuses a canary may have: it is being tried on live traffic.
    public var canBeCanary: Bool { self == .candidate || self == .production }

    /// Statuses a stable version may have. Deprecated versions still serve
    /// until they are archived; that is what a fast rollback goes back to.
    public var canBeStable: Bool { self == .production || self == .deprecated }
}
