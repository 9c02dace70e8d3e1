import StewardSpec

/// What the agent last did for one rollout: the observed half of the diff.
/// The agent commits it to git (`status/<rollout>.yaml`) so that a restarted
/// agent resumes from it.
public struct RolloutStatus: Sendable, Hashable {
    /// Where a rollout is: moving, held, handing over, done, or stopped and why.
    public enum Phase: String, Sendable, Hashable, CaseIterable {
        case progressing, paused, promoting, healthy, degraded, rolledBack, aborted, stopped
    }

    public var phase: Phase
    public var stable: SemanticVersion
    public var canary: SemanticVersion?
    /// Index of the step being carried out; `steps.count` once all are done.
    public var stepIndex: Int
    /// Percentage of traffic on the canary; stable has the rest.
    public var canaryWeight: Int
    public var stepStartedAt: Moment
    /// Why the rollout is paused, stopped or aborted, for people.
    public var pauseReason: String?
    /// The same, for the code that decides when it may go on.
    public var pauseCause: PauseCause?
    /// Failures counted towards each metric's failure limit.
    public var failures: [String: Int]
    /// The end of the last window judged, per metric: a window is judged once.
    public var lastJudged: [String: Moment]
    /// The latest verdict per metric.
    public var verdicts: [String: Verdict]
    /// Metrics that passed since the current step began.
    public var passedThisStep: Set<String>
    /// The gates that said yes to this canary (see `GateQuestion.passKey`):
    /// kept, so that a restarted agent does not ask again.
    public var gatesPassed: Set<String> = []
    /// What each gate said with its yes (by `GateQuestion.passKey`), on
    /// one bounded line: the figures (a prompt evaluation's, say) people
    /// read in the status file and in the `Steward-Gate` trailer of the
    /// status commit that records them.
    public var gateSaid: [String: String] = [:]
    /// How many times each gate said no to its question (by
    /// `GateQuestion.passKey`), and when it last did: a gate with a
    /// `failureLimit` rolls the canary back when the count reaches it.
    public var gateNoes: [String: GateNoes] = [:]
    /// Since when the evidence has been inconclusive, if it is.
    public var inconclusiveSince: Moment?
    /// The traffic split of a running experiment; empty otherwise.
    public var split: [VariantShare] = []
    /// Each change of the canary's weight since its exposure began: the
    /// evidence is pooled over all of it, span by span.
    public var exposure: [WeightChange] = []
    /// The token of each one-shot manual control already acted on.
    public var handledControls: [String: String] = [:]
    /// What the rollout waits for that is neither a pause nor evidence (a
    /// change window to open), for people; not part of its transitions.
    public var waitingFor: String?
    /// Each budget's spend in its current period, for people (`month: 812.4 of 1000 USD (81%)`); not part of its transitions.
    public var spend: [String] = []
    /// The budget levels already warned of (`month warning`, `month limit`), so that each is said once.
    public var budgetWarnings: [String] = []
    /// The traffic problem a health check set to warn has alerted on
    /// (its `PauseCause`), so that it is said once, not every round.
    public var trafficWarning: String?

    /// Says why the rollout stands still, to code and to people at once;
    /// nil clears both.
    mutating func standStill(_ cause: PauseCause?, _ reason: String?) {
        pauseCause = cause
        pauseReason = reason
    }

    /// A rollout with no canary: all traffic on `stable`.
    public static func settled(on stable: SemanticVersion, at now: Moment) -> RolloutStatus {
        RolloutStatus(phase: .healthy, stable: stable, canary: nil, stepIndex: 0, canaryWeight: 0, stepStartedAt: now,
                      pauseReason: nil, failures: [:], lastJudged: [:], verdicts: [:], passedThisStep: [], inconclusiveSince: nil)
    }

    /// The first step of a canary rollout.
    public static func starting(_ canary: SemanticVersion, over stable: SemanticVersion, at now: Moment) -> RolloutStatus {
        var status = settled(on: stable, at: now)
        status.phase = .progressing
        status.canary = canary
        return status
    }

    /// The part of the status whose change is a transition worth a commit:
    /// without the verdicts and what changes at every look, which live in
    /// memory, the journal and `/v1/status`.
    public var transition: RolloutStatus {
        var s = self
        s.verdicts = [:]
        s.lastJudged = [:]
        s.failures = [:]
        s.passedThisStep = []
        s.gatesPassed = []
        s.gateNoes = [:]
        s.inconclusiveSince = nil
        s.waitingFor = nil
        s.spend = []
        return s
    }

    /// The same rollout started again from its first step; manual controls
    /// already handled stay handled.
    /// Whether `metric` is judged at `now`: never yet, or its interval has
    /// passed since its last look (the agent asks a server only then).
    public func isDue(_ metric: MetricSpec, at now: Moment) -> Bool {
        guard let last = lastJudged[metric.name] else { return true }
        return now.since(last) >= metric.interval.seconds
    }

    func restarted(at now: Moment) -> RolloutStatus {
        guard let canary else { return self }
        var fresh = RolloutStatus.starting(canary, over: stable, at: now)
        fresh.handledControls = handledControls
        return fresh
    }
}

/// A gate's noes to one question.
public struct GateNoes: Sendable, Hashable, Codable {
    public var count: Int
    /// When the latest no was given: the same answer seen again is not counted twice.
    public var last: Moment

    public init(count: Int, last: Moment) {
        self.count = count
        self.last = last
    }
}

/// The canary's weight from a moment on.
public struct WeightChange: Sendable, Hashable, Codable {
    public var weight: Int
    public var at: Moment

    public init(weight: Int, at: Moment) {
        self.weight = weight
        self.at = at
    }
}

extension RolloutStatus: Codable {
    enum CodingKeys: String, CodingKey {
        case phase, stable, canary, stepIndex, canaryWeight, stepStartedAt, pauseReason, pauseCause, inconclusiveSince, split, failures,
             lastJudged, passedThisStep, gatesPassed, gateSaid, gateNoes, handledControls, exposure, verdicts, trafficWarning, waitingFor, spend, budgetWarnings
    }

    /// The largest step number a status may carry: far more steps than any rollout has.
    public static let maxStepIndex = 100_000

    /// Empty collections may be left out (a hand-written or older file).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let phase = try c.decode(Phase.self, forKey: .phase)
        self = .settled(on: try c.decode(SemanticVersion.self, forKey: .stable),
                        at: try c.decodeIfPresent(Moment.self, forKey: .stepStartedAt) ?? Moment(secondsSinceEpoch: 0))
        self.phase = phase
        canary = try c.decodeIfPresent(SemanticVersion.self, forKey: .canary)
        stepIndex = try c.decodeIfPresent(Int.self, forKey: .stepIndex) ?? 0
        canaryWeight = try c.decodeIfPresent(Int.self, forKey: .canaryWeight) ?? 0
        // Bounded: a step number near Int.max would overflow where it is shown (`step \(stepIndex + 1)`).
        guard (0...Self.maxStepIndex).contains(stepIndex), (0...100).contains(canaryWeight) else {
            throw DecodingError.dataCorruptedError(forKey: .canaryWeight, in: c,
                debugDescription: "stepIndex must be from 0 to \(Self.maxStepIndex) and canaryWeight from 0 to 100")
        }
        pauseReason = try c.decodeIfPresent(String.self, forKey: .pauseReason)
        pauseCause = try c.decodeIfPresent(PauseCause.self, forKey: .pauseCause) ?? pauseReason.flatMap(PauseCause.init(legacyReason:))
        inconclusiveSince = try c.decodeIfPresent(Moment.self, forKey: .inconclusiveSince)
        split = try c.decodeIfPresent([VariantShare].self, forKey: .split) ?? []
        failures = try c.decodeIfPresent([String: Int].self, forKey: .failures) ?? [:]
        lastJudged = try c.decodeIfPresent([String: Moment].self, forKey: .lastJudged) ?? [:]
        passedThisStep = try c.decodeIfPresent(Set<String>.self, forKey: .passedThisStep) ?? []
        gatesPassed = try c.decodeIfPresent(Set<String>.self, forKey: .gatesPassed) ?? []
        gateNoes = try c.decodeIfPresent([String: GateNoes].self, forKey: .gateNoes) ?? [:]
        gateSaid = try c.decodeIfPresent([String: String].self, forKey: .gateSaid) ?? [:]
        handledControls = try c.decodeIfPresent([String: String].self, forKey: .handledControls) ?? [:]
        exposure = try c.decodeIfPresent([WeightChange].self, forKey: .exposure) ?? []
        verdicts = try c.decodeIfPresent([String: Verdict].self, forKey: .verdicts) ?? [:]
        trafficWarning = try c.decodeIfPresent(String.self, forKey: .trafficWarning)
        waitingFor = try c.decodeIfPresent(String.self, forKey: .waitingFor)
        spend = try c.decodeIfPresent([String].self, forKey: .spend) ?? []
        budgetWarnings = try c.decodeIfPresent([String].self, forKey: .budgetWarnings) ?? []
    }
}
