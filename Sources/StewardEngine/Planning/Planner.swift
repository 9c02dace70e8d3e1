import StewardSpec

/// `plan(desired, observed, evidence, now) -> [Action]`: the pure heart of
/// Steward. The same input gives the same actions; executing them (so that
/// the written status becomes the observed one) and planning again with the
/// same evidence and time gives none.
public enum Planner {
    /// - Parameter utcOffsets: seconds east of UTC, as of `now`, of each
    ///   named time zone the policies' change windows use (the engine reads
    ///   no time-zone database). `UTC` and `UTC+02:00` need no entry.
    public static func plan(desired: DesiredState, observed: [String: RolloutStatus],
                            evidence: Evidence, now: Moment, utcOffsets: [String: Int] = [:]) -> [Action] {
        let windows = ChangeWindows(policies: Array(desired.policies.values), utcOffsets: utcOffsets)
        return desired.rollouts.keys.sorted().flatMap { name -> [Action] in
            let rollout = desired.rollouts[name]!
            let open = windows.allowForward(model: rollout.model, at: now)
            var round = RolloutRound(
                rollout: rollout, desired: desired, evidence: evidence, now: now,
                trafficMayAdvance: open, windowOpens: open ? nil : windows.nextOpening(model: rollout.model, after: now),
                status: observed[name] ?? .settled(on: rollout.stable, at: now))
            round.status.waitingFor = nil
            switch rollout.strategy {
            case .canary(let strategy):
                var machine = CanaryMachine(round: round, strategy: strategy)
                return machine.run(observed: observed[name])
            case .blueGreen(let strategy):
                var machine = BlueGreenMachine(round: round, strategy: strategy)
                return machine.run(observed: observed[name])
            case .experiment(let strategy):
                var machine = ExperimentMachine(round: round, strategy: strategy)
                return machine.run(observed: observed[name])
            }
        }
    }
}
