import StewardSpec

/// One thing the agent will do, or one change people should see, once a
/// pull request merges.
public struct PlannedChange: Sendable, Hashable, Encodable {
    /// What kind of change it is; stable names for the JSON output.
    public enum Kind: String, Sendable, Hashable, Encodable {
        case rolloutStarts, rolloutRestarts, canaryRemoved, promotionRecorded, stableSwitched, stepsChanged,
             rolloutAdded, rolloutRemoved, statusChanged, illegalTransition, versionAdded, versionRemoved, manualControl,
             rolloutSettingsChanged, versionChanged, versionEditedInPlace, templateChanged
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
    public var isError: Bool { kind == .illegalTransition || kind == .versionEditedInPlace }
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
        } + registryChanges(base, head) + templateChanges(base, head) + promptChanges(base, head)
    }

    /// Prompt template versions edited in place: an error when a version that
    /// has served uses it (what served is what was measured), shown otherwise.
    private static func promptChanges(_ base: DesiredState, _ head: DesiredState) -> [PlannedChange] {
        var changes: [PlannedChange] = []
        for name in head.promptTemplates.keys.sorted() {
            guard let old = base.promptTemplates[name], let new = head.promptTemplates[name] else { continue }
            for version in new.versions {
                guard let before = old.versions.first(where: { $0.version == version.version }) else { continue }
                let edited = PromptTemplateVersion.contentFields.filter { before.fieldText($0) != version.fieldText($0) }
                guard !edited.isEmpty else { continue }
                let subject = "PromptTemplate \(name) \(version.version)"
                let users = base.models.values.sorted { $0.metadata.name < $1.metadata.name }.flatMap { model in
                    model.versions.filter { $0.promptTemplate?.name == name && $0.promptTemplate?.version == version.version }
                        .compactMap { used in servedReason(used, of: model.metadata.name, in: base).map { "\(model.metadata.name) \(used.version) \($0)" } }
                }
                let what = edited.joined(separator: ", ") + " changed"
                if let first = users.first {
                    changes.append(PlannedChange(kind: .versionEditedInPlace, subject: subject,
                        summary: "\(what) in place, but \(first)\(users.count > 1 ? " (and \(users.count - 1) more)" : ""): what served is what was measured; "
                            + "make the change a new template version and a new model version that uses it"))
                } else {
                    changes.append(PlannedChange(kind: .versionChanged, subject: subject, summary: what))
                }
            }
        }
        return changes
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
        let settings = Self.settings(of: old).filter { new.fieldText($0.key) != $0.value }.keys.sorted()
        if !settings.isEmpty {
            let reshuffles = settings.contains("stickyKey") ? " (a new stickyKey sends each user to a version afresh)" : ""
            changes.append(PlannedChange(kind: .rolloutSettingsChanged, subject: subject,
                summary: settings.map { "\($0): \(old.fieldText($0)) → \(new.fieldText($0))" }.joined(separator: "; ") + reshuffles))
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
                let edited = ModelVersion.behaviourFields.filter { before.fieldText($0) != version.fieldText($0) }
                if !edited.isEmpty {
                    let what = edited.map { "\($0) \(before.fieldText($0)) → \(version.fieldText($0))" }.joined(separator: "; ")
                    if let served = servedReason(before, of: name, in: base) {
                        changes.append(PlannedChange(kind: .versionEditedInPlace, subject: subject,
                            summary: "\(what): \(version.version) \(served), and what served is what was measured: "
                                + "make the change a new version (such as \(SemanticVersion(version.version.major, version.version.minor, version.version.patch + 1))) instead of editing this one"))
                    } else {
                        changes.append(PlannedChange(kind: .versionChanged, subject: subject,
                            summary: what + usedBy(version.version, of: name, in: head)))
                    }
                }
                guard before.status != version.status else { continue }
                if before.status.canMove(to: version.status) {
                    // The retention rules count a status's age from `since`: a date left from the old status would count it too.
                    let dated = version.since == nil || version.since != before.since ? ""
                        : "; since is still \(version.since!.dayText), from \(before.status.rawValue): set it to the day of this change"
                    changes.append(PlannedChange(kind: .statusChanged, subject: subject,
                        summary: "\(before.status.rawValue) → \(version.status.rawValue)\(dated)"))
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

    /// Why a version counts as having served traffic at the base, if it has:
    /// its status, or a rollout that has it as stable or canary.
    private static func servedReason(_ version: ModelVersion, of model: String, in base: DesiredState) -> String? {
        if [.production, .deprecated, .archived].contains(version.status) { return "is \(version.status.rawValue)" }
        let rollouts = base.rollouts.values.filter { $0.model == model && ($0.stable == version.version || $0.canary == version.version) }
        return rollouts.map(\.metadata.name).sorted().first.map { "serves traffic in Rollout \($0)" }
    }

    /// `; used by Rollout a, b` for the rollouts that run a version, or nothing.
    private static func usedBy(_ version: SemanticVersion, of model: String, in state: DesiredState) -> String {
        let names = state.rollouts.values.filter { $0.model == model && ($0.stable == version || $0.canary == version) }.map(\.metadata.name).sorted()
        return names.isEmpty ? "" : "; used by Rollout " + names.joined(separator: ", ")
    }

    /// A rollout's settings besides its versions, steps and controls, as text to compare.
    private static func settings(of rollout: Rollout) -> [String: String] {
        Dictionary(uniqueKeysWithValues: Rollout.settingFields.map { ($0, rollout.fieldText($0)) })
    }

    /// Each analysis template whose metrics or confidences changed, with what changed and the rollouts it judges.
    private static func templateChanges(_ base: DesiredState, _ head: DesiredState) -> [PlannedChange] {
        var changes: [PlannedChange] = []
        for name in head.analysisTemplates.keys.sorted() {
            guard let old = base.analysisTemplates[name], let new = head.analysisTemplates[name] else { continue }
            let before = Dictionary(old.metrics.map { ($0.name, $0.comparableFields) }, uniquingKeysWith: { a, _ in a })
            let after = Dictionary(new.metrics.map { ($0.name, $0.comparableFields) }, uniquingKeysWith: { a, _ in a })
            var said: [String] = []
            if old.confidence != new.confidence { said.append("confidence \(old.confidence) → \(new.confidence)") }
            if old.passConfidence != new.passConfidence { said.append("passConfidence \(old.passConfidence) → \(new.passConfidence)") }
            for metric in Set(before.keys).union(after.keys).sorted() {
                switch (before[metric], after[metric]) {
                case (nil, _?): said.append("\(metric) added")
                case (_?, nil): said.append("\(metric) removed")
                case (let a?, let b?) where a != b:
                    said.append("\(metric): " + a.keys.sorted().filter { a[$0] != b[$0] }.map { "\($0) \(a[$0]!) → \(b[$0]!)" }.joined(separator: ", "))
                default: break
                }
            }
            guard !said.isEmpty else { continue }
            let judged = head.rollouts.values.filter { $0.analysisReferences.contains { $0.templates.contains(name) } }.map(\.metadata.name).sorted()
            let affects = judged.isEmpty ? "; no rollout uses it" : "; judges Rollout " + judged.joined(separator: ", ") + " from the next look on"
            changes.append(PlannedChange(kind: .templateChanged, subject: "AnalysisTemplate \(name)", summary: said.joined(separator: "; ") + affects))
        }
        return changes
    }
}

extension ModelVersion {
    /// The fields that make a version behave as it does (not its status,
    /// notes, measured baseline or the agent's rollback mark).
    static let behaviourFields = ["baseModel", "adapter", "promptTemplate", "parameters", "compatibility", "trainingData", "configHash"]

    func fieldText(_ field: String) -> String {
        switch field {
        case "baseModel": baseModel
        case "adapter": adapter ?? "-"
        case "promptTemplate": promptTemplate.map { "\($0.name) \($0.version)" } ?? "-"
        case "parameters": parameters.text
        case "compatibility": compatibility.map { String(describing: $0) } ?? "-"
        case "trainingData": trainingData.map { String(describing: $0) } ?? "-"
        case "configHash": configHash ?? "-"
        default: "-"
        }
    }
}

extension PromptTemplateVersion {
    /// What a model version gets from it: its text, the models it declares, its embeddings.
    static let contentFields = ["template", "compatibleModels", "incompatibleModels", "embeddingsModel"]

    func fieldText(_ field: String) -> String {
        switch field {
        case "template": template ?? "-"
        case "compatibleModels": compatibleModels.joined(separator: ",")
        case "incompatibleModels": incompatibleModels.joined(separator: ",")
        case "embeddingsModel": embeddingsModel ?? "-"
        default: "-"
        }
    }
}

extension Rollout {
    /// The settings compared by `steward plan`, besides versions, steps and controls.
    static let settingFields = ["stickyKey", "rollbackMode", "progressDeadline", "progressDeadlineAbort", "retry", "gates", "healthChecks"]

    func fieldText(_ field: String) -> String {
        switch field {
        case "stickyKey": stickyKey
        case "rollbackMode": rollbackMode.rawValue
        case "progressDeadline": progressDeadline.map(\.description) ?? "none"
        case "progressDeadlineAbort": String(progressDeadlineAbort)
        case "retry": String(retry)
        case "gates": GatePoint.allCases.compactMap { point in
            gates[point].isEmpty ? nil : "\(point.rawValue): " + gates[point].map(\.name).joined(separator: ", ")
        }.joined(separator: "; ").nonEmpty ?? "none"
        case "healthChecks": "noTraffic \(healthChecks.noTraffic.rawValue) after \(healthChecks.noTrafficAfter), sampleRatio \(healthChecks.sampleRatio.rawValue)"
        default: "-"
        }
    }
}

extension MetricSpec {
    /// What `steward plan` compares of a metric, field by field: everything that decides its verdicts.
    var comparableFields: [String: String] {
        ["provider": providerText,
         "failWhen": "\(failWhen.comparison.rawValue) \(Verdict.format(failWhen.threshold))" + (failWhen.relativeTo != nil ? " × stable" : ""),
         "minSamples": "\(minSamples)", "interval": "\(interval)", "failureLimit": "\(failureLimit) \(failureCounting.rawValue)",
         "severity": severity.rawValue, "role": role.rawValue]
    }

    private var providerText: String {
        switch provider {
        case .ingest(let measure): "ingest \(measure.rawValue)"
        case .prometheus(let address, let query, let samples): "prometheus \(address ?? "default") \(query)" + (samples.map { " samples \($0)" } ?? "")
        case .http(let url, let jsonPath, let samplesPath): "http \(url) \(jsonPath)" + (samplesPath.map { " samples \($0)" } ?? "")
        case .plugin(let name, let settings): "plugin \(name) " + settings.keys.sorted().map { "\($0)=\(settings[$0]!)" }.joined(separator: " ")
        }
    }
}

extension Parameters {
    /// `{temperature: 0.2, maxTokens: 1024}`: the parameters given, in their usual order.
    var text: String {
        let given: [(String, String?)] = [("temperature", temperature.map { "\($0)" }), ("maxTokens", maxTokens.map { "\($0)" }),
                                          ("topP", topP.map { "\($0)" }), ("topK", topK.map { "\($0)" }),
                                          ("frequencyPenalty", frequencyPenalty.map { "\($0)" }), ("presencePenalty", presencePenalty.map { "\($0)" }),
                                          ("stop", stop.map { "\($0)" })]
        return "{" + given.compactMap { name, value in value.map { "\(name): \($0)" } }.joined(separator: ", ") + "}"
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
