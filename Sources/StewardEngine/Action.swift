import StewardSpec

/// What the agent should do. Actions are values; the agent executes them,
/// idempotently, and journals each before it runs.
public enum Action: Sendable, Hashable {
    /// Publish a routing table with this split (stable gets `100 - canaryWeight`).
    case setWeights(rollout: String, stable: SemanticVersion, canary: SemanticVersion?, canaryWeight: Int)
    /// Stop moving traffic until the reason clears or a person resumes.
    case pause(rollout: String, reason: String)
    /// Commit the canary as the new stable version.
    case promote(rollout: String, version: SemanticVersion, previous: SemanticVersion)
    /// Traffic is already at 0%: revert the commit that introduced the canary
    /// (or clear it by edit, in `abort` mode), with the evidence.
    case rollback(rollout: String, from: SemanticVersion, to: SemanticVersion, mode: RollbackMode, reason: String)
    /// A warning metric failed: tell people, move on.
    case alert(rollout: String, reason: String)
    /// Something people should know that is not a failure.
    case notify(rollout: String, message: String)
    /// Record the new observed state.
    case writeStatus(rollout: String, status: RolloutStatus)
}
