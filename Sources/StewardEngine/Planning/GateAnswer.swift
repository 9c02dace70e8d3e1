import StewardSpec

/// What a gate is asked: whether `rollout` may go on at `point` with this
/// canary at this step (or, after a rollback, told why). The agent sends it
/// as the JSON body of its POST.
public struct GateQuestion: Sendable, Hashable, Encodable {
    public var rollout: String
    public var gate: String
    public var point: GatePoint
    public var canary: SemanticVersion
    public var stable: SemanticVersion
    /// The step the rollout stands at, from 1.
    public var step: Int
    /// Why the canary was rolled back, after a rollback.
    public var reason: String?

    public init(rollout: String, gate: String, point: GatePoint, canary: SemanticVersion, stable: SemanticVersion, step: Int, reason: String? = nil) {
        self.rollout = rollout
        self.gate = gate
        self.point = point
        self.canary = canary
        self.stable = stable
        self.step = step
        self.reason = reason
    }
}

extension GateQuestion {
    /// What a yes to this question is kept as in the status: the canary,
    /// and for a weight increase the step (a yes counts for that step only).
    public var passKey: String {
        "\(point.rawValue) \(gate) \(canary)" + (point == .beforeWeightIncrease ? " step \(step)" : "")
    }
}

/// What a gate said when it was last asked: the agent asks (see
/// `Action.askGate`) and hands the answer back with the evidence, so the
/// engine never calls anything itself.
public struct GateAnswer: Sendable, Hashable {
    /// The question it answers: a yes is a yes to that canary at that step only.
    public var question: GateQuestion
    /// Whether it said yes (a 2xx answer within its timeout).
    public var yes: Bool
    /// What it said, for people: its answer's first line, or why it could not answer.
    public var said: String
    public var at: Moment

    public init(question: GateQuestion, yes: Bool, said: String, at: Moment) {
        self.question = question
        self.yes = yes
        self.said = said
        self.at = at
    }

    /// Whether it answers `other`: the same canary, and for a weight
    /// increase the same step (a promotion's yes holds at any step).
    public func answers(_ other: GateQuestion) -> Bool {
        question.canary == other.canary && (other.point != .beforeWeightIncrease || question.step == other.step)
    }
}

extension Evidence {
    /// The latest answer of `gate` of `rollout` at `point`, if it was asked.
    public func answer(rollout: String, gate: String, point: GatePoint) -> GateAnswer? {
        gateAnswers[GateKey(rollout: rollout, gate: gate, point: point)]
    }

    /// Records a gate's latest answer (replacing the one before).
    public mutating func record(_ answer: GateAnswer) {
        gateAnswers[answer.question.key] = answer
    }
}

/// A rollout's gate, by name and point: a gate's answers are kept by it.
public struct GateKey: Hashable, Sendable {
    public var rollout: String
    public var gate: String
    public var point: GatePoint
}

extension GateQuestion {
    /// The gate it is asked of.
    public var key: GateKey { GateKey(rollout: rollout, gate: gate, point: point) }
}
