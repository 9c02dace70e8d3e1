import StewardSpec

/// One thing the agent will do, or one change people should see, once a
/// pull request merges.
public struct PlannedChange: Sendable, Hashable, Encodable {
    /// What kind of change it is; stable names for the JSON output.
    public enum Kind: String, Sendable, Hashable, Encodable {
        case rolloutStarts, rolloutRestarts, canaryRemoved, promotionRecorded, stableSwitched, stepsChanged,
             rolloutAdded, rolloutRemoved, statusChanged, illegalTransition, versionAdded, versionRemoved, manualControl
    }

    public var kind: Kind
    /// `Rollout customer-support-agent`, `Model m 1.2.0`.
    public var subject: String
    public var summary: String
    /// The least time the rollout can take, when it has timed steps.
    public var minimumDuration: String?
    /// For a running rollout, each metric's verdict on the evidence pooled
    /// so far, with its interval and what it still needs.
    public var evidence: [String] = []

    /// A change the pull request must not make.
    public var isError: Bool { kind == .illegalTransition }
}

/// Compares the desired state at a pull request's base with the one at its
/// head, and says what the agent will do once it merges. Pure.
public enum ChangePlanner {
    /// - Parameter status: the agent's current status per rollout, when
    ///   known: changes to a running rollout then say where it stands.
    public static func compare(base: DesiredState, head: DesiredState, status: [String: RolloutStatus] = [:]) -> [PlannedChange] {
        rolloutChanges(base, head).map { change in
            guard let name = change.subject.split(separator: " ", maxSplits: 1).last.map(String.init),
                  change.subject.hasPrefix("Rollout "), let current = status[name],
                  change.kind != .rolloutStarts || current.canary != nil else { return change }
            var change = change
            change.summary += " (now \(standing(current)))"
            change.evidence = current.verdicts.keys.sorted().map { current.verdicts[$0]!.description }
            return change
        } + registryChanges(base, head)
    }

    static func standing(_ status: RolloutStatus) -> String {
        guard let canary = status.canary else { return "\(status.phase.rawValue), all traffic on \(status.stable)" }
        return "\(status.phase.rawValue) at step \(status.stepIndex + 1), \(status.canaryWeight)% on \(canary)"
    }

    private static func rolloutChanges(_ base: DesiredState, _ head: DesiredState) -> [PlannedChange] {
        var changes: [PlannedChange] = []
        for name in Set(base.rollouts.keys).union(head.rollouts.keys).sorted() {
            let subject = "Rollout \(name)"
            switch (base.rollouts[name], head.rollouts[name]) {
            case (let old?, nil):
                changes.append(PlannedChange(kind: .rolloutRemoved, subject: subject,
                    summary: "no longer managed; traffic stays where it is (\(old.stable))"))
            case (nil, let new?):
                if let canary = new.canary {
                    changes.append(start(new, canary: canary, head: head, kind: .rolloutStarts, subject: subject,
                                         lead: "starts: \(canary) as canary of \(new.stable)"))
                } else {
                    changes.append(PlannedChange(kind: .rolloutAdded, subject: subject, summary: "all traffic on \(new.stable)"))
                }
            case (let old?, let new?):
                changes += compare(old, new, head: head, subject: subject)
            case (nil, nil):
                break
            }
        }
        return changes
    }

    private static func compare(_ old: Rollout, _ new: Rollout, head: DesiredState, subject: String) -> [PlannedChange] {
        var changes: [PlannedChange] = []
        if old.stable != new.stable {
            if old.canary == new.stable {
                changes.append(PlannedChange(kind: .promotionRecorded, subject: subject,
                    summary: "\(new.stable) becomes stable (was \(old.stable)); its traffic moves at once"))
            } else {
                changes.append(PlannedChange(kind: .stableSwitched, subject: subject,
                    summary: "stable switches from \(old.stable) to \(new.stable) at once, without steps"))
            }
        }
        switch (old.canary, new.canary) {
        case (let before?, nil) where before != new.stable:
            changes.append(PlannedChange(kind: .canaryRemoved, subject: subject,
                summary: "canary \(before) removed: all traffic returns to \(new.stable)"))
        case (nil, let canary?):
            changes.append(start(new, canary: canary, head: head, kind: .rolloutStarts, subject: subject,
                                 lead: "starts: \(canary) as canary of \(new.stable)"))
        case (let before?, let canary?) where before != canary:
            changes.append(start(new, canary: canary, head: head, kind: .rolloutRestarts, subject: subject,
                                 lead: "restarts from the first step with canary \(canary) (was \(before))"))
        case (let before?, let canary?) where before == canary && describe(old.strategy) != describe(new.strategy):
            changes.append(start(new, canary: canary, head: head, kind: .stepsChanged, subject: subject,
                                 lead: "strategy changes for the running canary \(canary)"))
        default:
            break
        }
        for control in ManualControl.allCases {
            let before = old.metadata.annotations[control.rawValue], after = new.metadata.annotations[control.rawValue]
            guard before != after else { continue }
            let verb = after == nil ? "removed" : (control.isLasting ? "set" : "requested")
            changes.append(PlannedChange(kind: .manualControl, subject: subject, summary: "\(control.rawValue) \(verb): \(control.effect(on: after != nil))"))
        }
        return changes
    }

    private static func start(_ rollout: Rollout, canary: SemanticVersion, head: DesiredState, kind: PlannedChange.Kind,
                              subject: String, lead: String) -> PlannedChange {
        let (duration, waits) = minimumDuration(rollout.strategy, templates: head.analysisTemplates)
        var summary = "\(lead); \(describe(rollout.strategy))"
        if waits { summary += "; waits for a person" }
        return PlannedChange(kind: kind, subject: subject, summary: summary, minimumDuration: duration.description)
    }

    /// `canary 5% → 15% → 35% → 100%`, `blue-green`, `experiment 1.0.0/1.1.0 50/50`.
    static func describe(_ strategy: RolloutStrategy) -> String {
        switch strategy {
        case .canary(let canary):
            let parts = canary.steps.map { step -> String in
                switch step.action {
                case .setWeight(let w): "\(w)%"
                case .pause(let d?): "pause \(d)"
                case .pause(nil): "pause"
                case .analysis(let a): "analysis \(a.templates.joined(separator: "+"))"
                }
            }
            return "canary " + parts.joined(separator: " → ")
        case .blueGreen(let b):
            return "blue-green (\(b.autoPromote ? "automatic" : "manual") cut-over, old colour kept \(b.scaleDownDelay))"
        case .experiment(let e):
            return "experiment " + e.variants.map { "\($0.version) \($0.weight)%" }.joined(separator: " / ")
                + " on \(e.primaryMetric), then \(e.onWinner.rawValue)"
        }
    }

    /// The least time a rollout takes: timed pauses, one interval per
    /// analysis, the blue-green delay; and whether a person must act.
    static func minimumDuration(_ strategy: RolloutStrategy, templates: [String: AnalysisTemplate]) -> (StewardDuration, Bool) {
        func interval(_ reference: AnalysisReference?) -> Double {
            (reference?.templates ?? []).compactMap { templates[$0] }.flatMap(\.metrics).map(\.interval.seconds).max() ?? 0
        }
        switch strategy {
        case .canary(let canary):
            var seconds = 0.0
            var waits = false
            for step in canary.steps {
                switch step.action {
                case .pause(let d?): seconds += d.seconds
                case .pause(nil): waits = true
                case .analysis(let a): seconds += interval(a)
                case .setWeight: break
                }
            }
            return (StewardDuration(seconds: seconds), waits)
        case .blueGreen(let b):
            return (StewardDuration(seconds: interval(b.previewAnalysis) + b.scaleDownDelay.seconds), !b.autoPromote)
        case .experiment(let e):
            return (StewardDuration(seconds: interval(e.analysis)), false)
        }
    }

    private static func registryChanges(_ base: DesiredState, _ head: DesiredState) -> [PlannedChange] {
        var changes: [PlannedChange] = []
        for name in head.models.keys.sorted() {
            let new = head.models[name]!
            let old = base.models[name]
            for version in new.versions {
                let subject = "Model \(name) \(version.version)"
                guard let before = old?.version(version.version) else {
                    changes.append(PlannedChange(kind: .versionAdded, subject: subject, summary: "new version, \(version.status.rawValue)"))
                    continue
                }
                guard before.status != version.status else { continue }
                if before.status.canMove(to: version.status) {
                    changes.append(PlannedChange(kind: .statusChanged, subject: subject,
                        summary: "\(before.status.rawValue) → \(version.status.rawValue)"))
                } else {
                    let allowed = before.status.legalSuccessors.map(\.rawValue).sorted().joined(separator: ", ")
                    changes.append(PlannedChange(kind: .illegalTransition, subject: subject,
                        summary: "\(before.status.rawValue) → \(version.status.rawValue) is not allowed (from \(before.status.rawValue): \(allowed.isEmpty ? "nothing" : allowed))"))
                }
            }
            for version in old?.versions ?? [] where new.version(version.version) == nil {
                changes.append(PlannedChange(kind: .versionRemoved, subject: "Model \(name) \(version.version)",
                                             summary: "removed from the registry (was \(version.status.rawValue))"))
            }
        }
        return changes
    }
}
