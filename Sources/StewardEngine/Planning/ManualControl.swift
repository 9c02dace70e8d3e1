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

    /// What setting (or removing) the control does, for plans and audits.
    public func effect(on: Bool) -> String {
        switch (self, on) {
        case (.pause, true): "traffic holds where it is"
        case (.pause, false): "the rollout continues"
        case (.emergencyStop, true): "all traffic goes to stable now and stays there"
        case (.emergencyStop, false): "the rollout starts again from its first step"
        case (.resume, _): "the rollout continues past its pause"
        case (.promote, _): "the current step finishes now"
        case (.promoteFull, _): "every remaining step is skipped and the canary promoted"
        case (.abort, _): "all traffic goes to stable; no revert"
        case (.retry, _): "the canary starts again from the first step"
        }
    }

    /// The `Steward-Action` of the commit that sets it.
    public var action: String {
        switch self {
        case .emergencyStop: "stop"
        case .promoteFull: "promote-full"
        default: String(rawValue.dropFirst("steward.dev/".count))
        }
    }
}
