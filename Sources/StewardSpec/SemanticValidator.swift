import StewardYAML

/// The rules that span documents: references resolve, versions can serve,
/// weights add up, thresholds can be crossed.
struct SemanticValidator {
    let state: DesiredState
    private var diagnostics: [Diagnostic] = []

    init(state: DesiredState) {
        self.state = state
    }

    func validate() -> [Diagnostic] {
        var validator = self
        for model in state.models.values { validator.check(model) }
        for template in state.promptTemplates.values { validator.check(template) }
        for template in state.analysisTemplates.values { validator.check(template) }
        validator.checkRollouts()
        return validator.diagnostics
    }

    private mutating func report(_ source: ResourceSource, _ code: String, _ message: String, at path: FieldPath,
                                 severity: Diagnostic.Severity = .error) {
        diagnostics.append(source.diagnostic(severity, code, message, at: path))
    }

    // MARK: - Registry

    private mutating func check(_ model: Model) {
        var seen: [SemanticVersion: FieldPath] = [:]
        for version in model.versions {
            if let first = seen[version.version] {
                let line = model.source.position(of: first.appending("version")).line
                report(model.source, "duplicate-version", "version \(version.version) of model '\(model.metadata.name)' is already defined at line \(line)", at: version.path.appending("version"))
            } else {
                seen[version.version] = version.path
            }
        }
        for version in model.versions {
            if let parent = version.parent {
                if model.version(parent) == nil {
                    report(model.source, "unknown-version", "parent \(parent) is not a version of model '\(model.metadata.name)'", at: version.path.appending("parent"))
                } else if !(parent < version.version) {
                    report(model.source, "lineage-order", "parent \(parent) must be an earlier version than \(version.version)", at: version.path.appending("parent"))
                }
            }
            if let reference = version.promptTemplate { checkTemplatePairing(model, version, reference) }
        }
    }

    private mutating func checkTemplatePairing(_ model: Model, _ version: ModelVersion, _ reference: TemplateReference) {
        let at = version.path.appending("promptTemplate")
        guard let template = state.promptTemplates[reference.name] else {
            report(model.source, "unknown-reference", "no PromptTemplate named '\(reference.name)'\(suggestion(reference.name, state.promptTemplates.keys))", at: at.appending("name"))
            return
        }
        guard let templateVersion = template.version(reference.version) else {
            report(model.source, "unknown-version", "PromptTemplate '\(reference.name)' has no version \(reference.version)", at: at.appending("version"))
            return
        }
        let base = version.baseModel
        if templateVersion.incompatibleModels.contains(base) {
            report(model.source, "incompatible-template", "prompt template \(reference.name)@\(reference.version) declares base model '\(base)' incompatible", at: at)
        } else if !templateVersion.compatibleModels.isEmpty, !templateVersion.compatibleModels.contains(base) {
            report(model.source, "untested-template", "prompt template \(reference.name)@\(reference.version) does not list base model '\(base)' as compatible", at: at, severity: .warning)
        }
        if let needed = version.compatibility?.embeddingsModel, let templateModel = templateVersion.embeddingsModel, needed != templateModel {
            report(model.source, "embeddings-mismatch", "version \(version.version) requires embeddings model '\(needed)' but prompt template \(reference.name)@\(reference.version) uses '\(templateModel)'", at: version.path.appending("compatibility").appending("embeddingsModel"))
        }
    }

    private mutating func check(_ template: PromptTemplate) {
        var seen: Set<SemanticVersion> = []
        for version in template.versions where !seen.insert(version.version).inserted {
            report(template.source, "duplicate-version", "version \(version.version) of prompt template '\(template.metadata.name)' is defined twice", at: version.path.appending("version"))
        }
        for version in template.versions {
            for model in Set(version.compatibleModels).intersection(version.incompatibleModels).sorted() {
                report(template.source, "contradictory-compatibility", "'\(model)' is listed both compatible and incompatible", at: version.path.appending("incompatibleModels"))
            }
        }
    }

    // MARK: - Analysis

    private mutating func check(_ template: AnalysisTemplate) {
        var seen: Set<String> = []
        for metric in template.metrics {
            if !seen.insert(metric.name).inserted {
                report(template.source, "duplicate-name", "metric '\(metric.name)' is defined twice in this template", at: metric.path.appending("name"))
            }
            if let why = Self.unreachable(metric) {
                report(template.source, "unreachable-threshold", why, at: metric.failWhen.path.appending(metric.failWhen.comparison.rawValue))
            }
        }
    }

    /// Why a metric's fail condition can never be met, if it cannot.
    static func unreachable(_ metric: MetricSpec) -> String? {
        let condition = metric.failWhen
        let threshold = condition.threshold
        if condition.relativeTo != nil {
            if threshold <= 0 {
                return "a factor of the stable version must be greater than 0, found \(threshold)"
            }
            return nil
        }
        let possible: ClosedRange<Double>
        switch metric.provider {
        case .ingest(let measure): possible = measure.possibleValues
        default: return nil
        }
        switch condition.comparison {
        case .above where threshold >= possible.upperBound:
            return "\(metric.name) can never be above \(threshold): its values lie between \(format(possible.lowerBound)) and \(format(possible.upperBound))"
        case .below where threshold <= possible.lowerBound:
            return "\(metric.name) can never be below \(threshold): its values lie between \(format(possible.lowerBound)) and \(format(possible.upperBound))"
        default:
            return nil
        }
    }

    private static func format(_ value: Double) -> String {
        value == .greatestFiniteMagnitude ? "infinity" : (value == value.rounded() ? String(Int(value)) : String(value))
    }

    // MARK: - Rollouts

    private mutating func checkRollouts() {
        var rolloutByModel: [String: Rollout] = [:]
        for rollout in state.rollouts.values.sorted(by: { $0.metadata.name < $1.metadata.name }) {
            if let other = rolloutByModel[rollout.model] {
                report(rollout.source, "duplicate-rollout", "model '\(rollout.model)' is already rolled out by Rollout '\(other.metadata.name)'", at: ["spec", "model"])
            } else {
                rolloutByModel[rollout.model] = rollout
            }
            check(rollout)
        }
    }

    private mutating func check(_ rollout: Rollout) {
        let source = rollout.source
        guard let model = state.models[rollout.model] else {
            report(source, "unknown-reference", "no Model named '\(rollout.model)'\(suggestion(rollout.model, state.models.keys))", at: ["spec", "model"])
            return
        }
        if let stable = servingVersion(rollout.stable, of: model, in: source, at: ["spec", "stable"]), !stable.status.canBeStable {
            report(source, "status-cannot-serve", "stable version \(stable.version) has status \(stable.status.rawValue); a stable version must be production (or deprecated, to roll back to it)", at: ["spec", "stable"])
        }
        if let canaryVersion = rollout.canary {
            if canaryVersion == rollout.stable {
                report(source, "canary-is-stable", "canary \(canaryVersion) is the same version as stable", at: ["spec", "canary"])
            } else if let canary = servingVersion(canaryVersion, of: model, in: source, at: ["spec", "canary"]) {
                if !canary.status.canBeCanary {
                    report(source, "status-cannot-serve", "canary version \(canary.version) has status \(canary.status.rawValue), which cannot serve traffic; a canary must be candidate (or production)", at: ["spec", "canary"])
                }
                if let mark = canary.rolledBack, !rollout.retry {
                    report(source, "rolled-back-version", "canary \(canary.version) was rolled back by Steward at \(mark.at): \(mark.reason)"
                           + (mark.commit.map { " (it had been made the canary by commit \(String($0.prefix(12))))" } ?? "")
                           + "; propose a new version, or say retry: true on the rollout to try this one again", at: ["spec", "canary"])
                }
            }
        }
        for reference in rollout.strategy.analysisReferences {
            for (i, name) in reference.templates.enumerated() where state.analysisTemplates[name] == nil {
                report(source, "unknown-reference", "no AnalysisTemplate named '\(name)'\(suggestion(name, state.analysisTemplates.keys))", at: reference.path.appending(i))
            }
        }
        switch rollout.strategy {
        case .canary(let canary): check(canary, of: rollout)
        case .blueGreen: if rollout.canary == nil {
            report(source, "missing-field", "a blue-green rollout needs a canary version to preview", at: ["spec", "canary"], severity: .warning)
        }
        case .experiment(let experiment): check(experiment, of: rollout, model: model)
        }
        checkGates(rollout)
    }

    /// The version, reported when the model does not have it.
    private mutating func servingVersion(_ version: SemanticVersion, of model: Model, in source: ResourceSource, at path: FieldPath) -> ModelVersion? {
        if let found = model.version(version) { return found }
        let known = model.versions.map(\.version.description).joined(separator: ", ")
        report(source, "unknown-version", "model '\(model.metadata.name)' has no version \(version) (it has \(known))", at: path)
        return nil
    }

    private mutating func check(_ canary: CanaryStrategy, of rollout: Rollout) {
        var last = 0
        for step in canary.steps {
            guard case .setWeight(let weight) = step.action else { continue }
            if weight < last {
                report(rollout.source, "weight-decreases", "setWeight \(weight) is lower than the step before it (\(last)); canary weights should only rise", at: step.path.appending("setWeight"), severity: .warning)
            }
            last = weight
        }
    }

    private mutating func check(_ experiment: ExperimentStrategy, of rollout: Rollout, model: Model) {
        let source = rollout.source
        var seen: Set<SemanticVersion> = []
        for variant in experiment.variants {
            if !seen.insert(variant.version).inserted {
                report(source, "duplicate-version", "version \(variant.version) is already a variant", at: variant.path.appending("version"))
            } else if let found = servingVersion(variant.version, of: model, in: source, at: variant.path.appending("version")),
                      !found.status.canBeCanary && !found.status.canBeStable {
                report(source, "status-cannot-serve", "variant \(found.version) has status \(found.status.rawValue), which cannot serve traffic", at: variant.path.appending("version"))
            }
        }
        let metrics = experiment.analysis.templates.compactMap { state.analysisTemplates[$0] }.flatMap(\.metrics).map(\.name)
        if metrics.count > 0 || experiment.analysis.templates.allSatisfy({ state.analysisTemplates[$0] != nil }),
           !metrics.contains(experiment.primaryMetric) {
            report(source, "unknown-reference", "primaryMetric '\(experiment.primaryMetric)' is not a metric of \(experiment.analysis.templates.joined(separator: ", "))\(suggestion(experiment.primaryMetric, metrics))", at: ["spec", "strategy", "experiment", "primaryMetric"])
        }
    }

    private mutating func checkGates(_ rollout: Rollout) {
        let gates = rollout.gates
        for (point, list) in [("beforeRollout", gates.beforeRollout), ("beforeWeightIncrease", gates.beforeWeightIncrease),
                              ("beforePromotion", gates.beforePromotion), ("afterRollback", gates.afterRollback)] {
            var seen: Set<String> = []
            for (i, gate) in list.enumerated() where !seen.insert(gate.name).inserted {
                report(rollout.source, "duplicate-name", "gate '\(gate.name)' appears twice in \(point)", at: ["spec", "gates", .key(point), .index(i), "name"])
            }
        }
    }

    private func suggestion(_ word: String, _ candidates: some Sequence<String>) -> String {
        guard let guess = Suggestion.closest(to: word, among: Array(candidates)) else { return "" }
        return "; did you mean '\(guess)'?"
    }
}
