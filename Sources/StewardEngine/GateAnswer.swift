import StewardSpec

/// What a rollout's gate said when it was last asked about a canary: the
/// agent asks (see `Action.askGate`) and hands the answer back with the
/// evidence, so the engine never calls anything itself.
public struct GateAnswer: Sendable, Hashable {
    /// The canary the gate was asked about: a yes for one version is no yes for another.
    public var version: SemanticVersion
    /// Whether it said yes (a 2xx answer within its timeout).
    public var yes: Bool
    /// What it said, for people: its answer's first line, or why it could not answer.
    public var said: String
    public var at: Moment

    public init(version: SemanticVersion, yes: Bool, said: String, at: Moment) {
        self.version = version
        self.yes = yes
        self.said = said
        self.at = at
    }
}

extension Evidence {
    /// The latest answer of `gate` of `rollout`, if it was asked.
    public func answer(rollout: String, gate: String) -> GateAnswer? {
        gateAnswers[GateKey(rollout: rollout, gate: gate)]
    }

    /// Records a gate's latest answer (replacing the one before).
    public mutating func record(_ answer: GateAnswer, rollout: String, gate: String) {
        gateAnswers[GateKey(rollout: rollout, gate: gate)] = answer
    }
}

/// A rollout's gate, by name.
struct GateKey: Hashable, Sendable {
    var rollout: String
    var gate: String
}
