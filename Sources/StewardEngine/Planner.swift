import StewardSpec

/// `plan(desired, observed, evidence, now) -> [Action]`: the pure heart of
/// Steward. The same input gives the same actions; executing them (so that
/// the written status becomes the observed one) and planning again with the
/// same evidence and time gives none.
public enum Planner {
    public static func plan(desired: DesiredState, observed: [String: RolloutStatus],
                            evidence: Evidence, now: Moment) -> [Action] {
        desired.rollouts.keys.sorted().flatMap { name -> [Action] in
            let rollout = desired.rollouts[name]!
            switch rollout.strategy {
            case .canary(let canary):
                var machine = CanaryMachine(rollout: rollout, strategy: canary, templates: desired.analysisTemplates,
                                            evidence: evidence, now: now,
                                            status: observed[name] ?? .settled(on: rollout.stable, at: now))
                return machine.run(observed: observed[name])
            case .blueGreen, .experiment:
                // Not planned yet: say so rather than act silently.
                let message = "strategy not yet supported by this agent; traffic stays on \(rollout.stable)"
                return observed[name] == nil ? [.notify(rollout: name, message: message)] : []
            }
        }
    }
}
