import Foundation
import StewardEngine
import Synchronization

/// What the agent knows now, for `/v1/status`, `/readyz` and the log. The
/// reconcile loop writes it; HTTP handlers read it.
public final class AgentSnapshot: Sendable {
    private let state = Mutex(State())

    public struct State: Sendable {
        /// The revision of the desired state being acted on (the last good one).
        public var desiredRevision: String?
        /// The branch's tip at the last fetch.
        public var observedRevision: String?
        public var statuses: [String: RolloutStatus] = [:]
        /// Each rollout's model, as the desired state acted on names it.
        public var models: [String: String] = [:]
        /// Each rollout's stable version, as the desired state acted on names it.
        public var stables: [String: String] = [:]
        /// The registry's models and their versions: outcomes for others are refused.
        public var versions: [String: Set<String>]?
        /// Why the tip is not acted on (invalid YAML, say), with file:line:col.
        public var invalidRevision: String?
        public var invalidDiagnostics: [String] = []
        /// The last failure of git, the store or the routing file.
        public var lastError: String?
        public var lastFetch: Date?
        public var lastRound: Date?
        /// Versions whose base model retires within the policy's notice, or has retired.
        public var retirements: [String] = []
        /// A good desired state is loaded and routes are published.
        public var ready = false
    }

    public init() {}

    public func update(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }
    public var value: State { state.withLock { $0 } }
}
