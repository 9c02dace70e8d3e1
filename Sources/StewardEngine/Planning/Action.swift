import StewardSpec

/// What the agent should do. Actions are values; the agent executes them,
/// idempotently, and journals each before it runs.
public enum Action: Sendable, Hashable {
    /// Publish a routing table with this split (stable gets `100 - canaryWeight`).
    case setWeights(rollout: String, stable: SemanticVersion, canary: SemanticVersion?, canaryWeight: Int)
    /// Publish a routing table that splits traffic between experiment variants.
    case setSplit(rollout: String, shares: [VariantShare])
    /// Stop moving traffic until the reason clears or a person resumes.
    case pause(rollout: String, reason: String)
    /// Commit the canary as the new stable version, by these edits.
    case promote(rollout: String, version: SemanticVersion, previous: SemanticVersion, edits: [FieldEdit])
    /// Traffic is already at 0%: revert the commit that introduced the canary,
    /// with the evidence; `edits` clear the canary instead in `abort` mode, or
    /// when the revert does not apply cleanly.
    case rollback(rollout: String, from: SemanticVersion, to: SemanticVersion, mode: RollbackMode, reason: String, edits: [FieldEdit])
    /// A warning metric failed: tell people, move on.
    case alert(rollout: String, reason: String)
    /// Something people should know that is not a failure.
    case notify(rollout: String, message: String)
    /// Record the new observed state.
    case writeStatus(rollout: String, status: RolloutStatus)
    /// Ask a gate whether the rollout may go on (everything else lets it),
    /// or, after a rollback, tell it. Its answer comes back with the
    /// evidence (`Evidence.record(_:)`).
    case askGate(question: GateQuestion, gate: Gate)
}

extension Action {
    /// What an action does, without what it does it to: how the journal
    /// and the agent's metrics count actions.
    public enum Kind: String, Sendable, CaseIterable {
        case setWeights, setSplit, pause, promote, rollback, alert, notify, writeStatus, askGate
    }

    public var kind: Kind {
        switch self {
        case .setWeights: .setWeights
        case .setSplit: .setSplit
        case .pause: .pause
        case .promote: .promote
        case .rollback: .rollback
        case .alert: .alert
        case .notify: .notify
        case .writeStatus: .writeStatus
        case .askGate: .askGate
        }
    }

    /// Why the action is taken, when it says: a rollback's evidence, a pause's or an alert's reason.
    public var reason: String? {
        switch self {
        case .rollback(_, _, _, _, let reason, _), .pause(_, let reason), .alert(_, let reason): reason
        default: nil
        }
    }
}

extension Action {
    /// Whether it pauses the rollout.
    public var isPause: Bool {
        if case .pause = self { true } else { false }
    }

    /// The notice that a hold at the progress deadline was lifted.
    public var isResumeNotice: Bool {
        if case .notify(_, let message) = self { message.hasPrefix(RolloutRound.resumeNotice) } else { false }
    }
}

/// One variant's share of traffic, in percent.
public struct VariantShare: Sendable, Hashable, Codable {
    public var version: SemanticVersion
    public var percent: Int

    public init(version: SemanticVersion, percent: Int) {
        self.version = version
        self.percent = percent
    }
}
