import StewardSpec

/// Why a rollout stands still, for the code that decides when it may go on:
/// `RolloutStatus.pauseReason` says the same for people, and nothing reads
/// that prose back.
public enum PauseCause: String, Sendable, Hashable, Codable, CaseIterable {
    /// `steward pause`: lifted when the annotation goes.
    case person
    /// A step that waits for a person (`pause: {}`), or a blue-green preview
    /// that passed: lifted by `steward resume` or `steward promote`.
    case awaitingPerson
    /// The step waited past its progress deadline: lifted by the evidence
    /// that held it (or, with `progressDeadlineAbort`, the rollout aborted).
    case progressDeadline
    /// `steward stop`: all traffic on stable until the annotation goes.
    case emergencyStop
    /// `steward abort`: all traffic on stable until `steward retry`.
    case abortedByPerson
    /// An experiment's observed split does not match its configuration, or a
    /// canary's share of the requests is far from its weight.
    case sampleRatioMismatch
    /// The canary got no requests for a while after its weight rose.
    case noTraffic

    /// The cause of a status written before causes were recorded, read from
    /// its reason: the prefixes are the ones those versions wrote.
    init?(legacyReason reason: String) {
        let prefixes: [(String, PauseCause)] = [
            ("paused by a person", .person), ("waiting for a person", .awaitingPerson), ("preview of", .awaitingPerson),
            ("progress deadline", .progressDeadline), ("emergency stop", .emergencyStop),
            ("aborted by a person", .abortedByPerson), ("sample ratio mismatch", .sampleRatioMismatch), ("no traffic", .noTraffic),
        ]
        guard let cause = prefixes.first(where: { reason.hasPrefix($0.0) })?.1 else { return nil }
        self = cause
    }
}

/// What holds one forward move of traffic, one per thing that holds it: the
/// one vocabulary of the promotion checkpoint (`RolloutRound.mayPromote`).
struct HoldCause: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// A critical gate has no pass at its latest look (or in this step).
        case needsPass
        /// A critical metric counts failures, or leans to failure.
        case failing
        /// A promotion: a critical metric's evidence or estimate points to a regression.
        case badEstimate
        /// Outside the policy's change windows: the clock, not the evidence, holds it.
        case changeWindow
        /// A gate has not said yes to this canary (at this step).
        case gate
        /// A budget at its limit holds traffic back from a costlier canary.
        case budget
    }

    var kind: Kind
    /// The metric that holds the move; nil when it is not a metric.
    var metric: String?
    /// The gate that holds it, and the question it is to be asked, for a gate.
    var gate: PendingGate?
    /// What it says, for people.
    var said: String

    /// A gate to be asked, with its question.
    struct PendingGate: Sendable, Hashable {
        var gate: Gate
        var question: GateQuestion
    }

    static func needsPass(_ metric: String, _ said: String) -> HoldCause { HoldCause(kind: .needsPass, metric: metric, said: said) }

    var text: String {
        kind == .badEstimate ? "\(said) (its estimate points to a regression: no promotion)" : said
    }
}
