/// Manual controls are commits, like everything else: `steward pause`,
/// `resume`, `promote`, `abort`, `retry` and `stop` set an annotation on the
/// Rollout with the person's git identity as the commit's author.
///
/// Lasting controls (`pause`, `emergency-stop`) hold while the annotation
/// is there. One-shot controls carry a token (the CLI writes the time); the
/// engine acts once per new token and remembers it in the status, as Flux
/// does with `reconcile.fluxcd.io/requestedAt`.
public enum ManualControl: String, Sendable, CaseIterable {
    /// Hold traffic where it is until the annotation is removed.
    case pause = "steward.dev/pause"
    /// Send all traffic to stable now and hold it there.
    case emergencyStop = "steward.dev/emergency-stop"
    /// Continue after a pause step or a pause for a reason.
    case resume = "steward.dev/resume"
    /// Finish the current step now.
    case promote = "steward.dev/promote"
    /// Skip every remaining step and promote.
    case promoteFull = "steward.dev/promote-full"
    /// Send all traffic to stable and stop the rollout, with no revert.
    case abort = "steward.dev/abort"
    /// Start an aborted or failed canary again from the first step.
    case retry = "steward.dev/retry"

    /// Whether the control holds as long as its annotation is present.
    public var isLasting: Bool { self == .pause || self == .emergencyStop }
}
