import StewardYAML

/// `kind: Rollout` — for one model, the stable version, an optional canary,
/// and how traffic moves from one to the other.
public struct Rollout: Sendable {
    public var metadata: Metadata
    public var source: ResourceSource
    /// The name of the Model this rollout serves.
    public var model: String
    public var stable: SemanticVersion
    public var canary: SemanticVersion?
    /// The request attribute that buckets users, e.g. `user_id`.
    public var stickyKey: String
    public var strategy: RolloutStrategy
    public var rollbackMode: RollbackMode
    /// How long one step may wait for its evidence before the rollout pauses.
    public var progressDeadline: StewardDuration?
    /// At the deadline, abort (all traffic back to stable) instead of pausing.
    public var progressDeadlineAbort: Bool
    public var gates: Gates
    /// A person's word that the canary may be a version the agent rolled
    /// back before (`rolledBack` on it); the agent clears it at the next rollback.
    public var retry: Bool
    public var healthChecks: HealthChecks

    static let fields = ["model", "stable", "canary", "stickyKey", "strategy", "rollbackMode", "progressDeadline", "progressDeadlineAbort", "gates",
                         "retry", "healthChecks"]

    init?(spec r: NodeReader, metadata: Metadata, source: ResourceSource) {
        guard let m = r.mapping(fields: Self.fields) else { return nil }
        canary = m.optional("canary")?.semanticVersion()
        stickyKey = m.optional("stickyKey")?.string() ?? "user_id"
        rollbackMode = m.optional("rollbackMode")?.oneOf(RollbackMode.self) ?? .revert
        progressDeadline = m.optional("progressDeadline")?.duration()
        progressDeadlineAbort = m.optional("progressDeadlineAbort")?.bool() ?? false
        gates = m.optional("gates").flatMap(Gates.init(reading:)) ?? Gates()
        retry = m.optional("retry")?.bool() ?? false
        healthChecks = m.optional("healthChecks").flatMap(HealthChecks.init(reading:)) ?? HealthChecks()
        let model = m.required("model")?.resourceName()
        let stable = m.required("stable")?.semanticVersion()
        let strategy = m.required("strategy").flatMap(RolloutStrategy.init(reading:))
        guard let model, let stable, let strategy else { return nil }
        self.model = model
        self.stable = stable
        self.strategy = strategy
        self.metadata = metadata
        self.source = source
    }
}

extension Rollout {
    /// Every analysis the strategy references, in steps and in the background, in order.
    public var analysisReferences: [AnalysisReference] {
        switch strategy {
        case .canary(let s):
            (s.analysis.map { [$0] } ?? []) + s.steps.compactMap { step in
                if case .analysis(let reference) = step.action { reference } else { nil }
            }
        case .blueGreen(let s): [s.previewAnalysis, s.postPromotionAnalysis].compactMap { $0 }
        case .experiment(let s): [s.analysis]
        }
    }
}

/// What a rollback does in git.
public enum RollbackMode: String, Sendable, CaseIterable {
    /// Commit `git revert` of the commit that introduced the canary.
    case revert
    /// Only drop the canary's traffic and clear it by a minimal edit.
    case abort
}

/// How traffic moves: exactly one of `canary`, `blueGreen`, `experiment`.
public enum RolloutStrategy: Sendable {
    case canary(CanaryStrategy)
    case blueGreen(BlueGreenStrategy)
    case experiment(ExperimentStrategy)

    static let fields = ["canary", "blueGreen", "experiment"]

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: Self.fields) else { return nil }
        let chosen = Self.fields.filter { m.reader.node[$0] != nil }
        guard chosen.count == 1, let name = chosen.first, let body = m.required(name) else {
            let found = chosen.isEmpty ? "none" : chosen.joined(separator: " and ")
            r.error("strategy-choice", "strategy must have exactly one of canary, blueGreen or experiment; found \(found)")
            return nil
        }
        switch name {
        case "canary": guard let s = CanaryStrategy(reading: body) else { return nil }; self = .canary(s)
        case "blueGreen": guard let s = BlueGreenStrategy(reading: body) else { return nil }; self = .blueGreen(s)
        default: guard let s = ExperimentStrategy(reading: body) else { return nil }; self = .experiment(s)
        }
    }

    /// Every analysis reference in the strategy, for cross-checks.
    public var analysisReferences: [AnalysisReference] {
        switch self {
        case .canary(let c): c.steps.compactMap { if case .analysis(let a) = $0.action { a } else { nil } } + [c.analysis].compactMap { $0 }
        case .blueGreen(let b): [b.previewAnalysis, b.postPromotionAnalysis].compactMap { $0 }
        case .experiment(let e): [e.analysis]
        }
    }
}

/// Canary: ordered steps, plus analysis that runs for the whole rollout.
public struct CanaryStrategy: Sendable {
    public var steps: [CanaryStep]
    /// Background analysis over the whole rollout.
    public var analysis: AnalysisReference?
    /// How long a step may wait for passes before the canary widens to the
    /// next weight anyway, while no critical metric fails, leans to failure
    /// or has its estimate on the bad side: what lets a rollout on low
    /// traffic finish. Promotion always needs every pass. Nil (`never`):
    /// hold until the evidence comes.
    public var widenAfter: StewardDuration?
    public static let defaultWidenAfter = StewardDuration(seconds: 1800)

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["steps", "analysis", "widenAfter"]) else { return nil }
        analysis = m.optional("analysis").flatMap(AnalysisReference.init(reading:))
        if let widen = m.optional("widenAfter") {
            widenAfter = widen.node.scalar?.text == "never" ? nil : widen.duration()
        } else {
            widenAfter = Self.defaultWidenAfter
        }
        guard let stepsReader = m.required("steps"), let steps = stepsReader.list(CanaryStep.init(reading:)) else { return nil }
        if stepsReader.node.items?.isEmpty == true {
            stepsReader.error("empty-list", "a canary needs at least one step")
        }
        self.steps = steps
    }
}

/// One canary step.
public struct CanaryStep: Sendable {
    public enum Action: Sendable {
        /// Send this percentage of traffic to the canary.
        case setWeight(Int)
        /// Wait this long, or until a person resumes when nil.
        case pause(StewardDuration?)
        /// Run these analysis templates and wait for their verdict.
        case analysis(AnalysisReference)
    }

    public var action: Action
    public var path: FieldPath

    static let fields = ["setWeight", "pause", "analysis"]

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: Self.fields) else { return nil }
        path = r.path
        let chosen = Self.fields.filter { m.reader.node[$0] != nil }
        guard chosen.count == 1, let name = chosen.first else {
            r.error("step-choice", "a step must have exactly one of setWeight, pause or analysis; found \(chosen.isEmpty ? "none" : chosen.joined(separator: " and "))")
            return nil
        }
        switch name {
        case "setWeight":
            guard let weight = m.required("setWeight")?.int(in: 0...100) else { return nil }
            action = .setWeight(weight)
        case "pause":
            // `pause: {}` waits for a person; `pause: {duration: 1h}` for the timer.
            guard let pause = m.optional("pause") else {
                action = .pause(nil)
                break
            }
            guard let fields = pause.mapping(fields: ["duration"]) else { return nil }
            if let durationReader = fields.optional("duration") {
                guard let duration = durationReader.duration() else { return nil }
                action = .pause(duration)
            } else {
                action = .pause(nil)
            }
        default:
            guard let reference = m.required("analysis").flatMap(AnalysisReference.init(reading:)) else { return nil }
            action = .analysis(reference)
        }
    }
}

/// A use of one or more AnalysisTemplates.
public struct AnalysisReference: Sendable {
    public var templates: [String]
    public var path: FieldPath

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["templates"]) else { return nil }
        path = r.path.appending("templates")
        guard let templates = m.required("templates")?.resourceNames() else { return nil }
        if templates.isEmpty { r.error("empty-list", "analysis needs at least one template") }
        self.templates = templates
    }
}

/// Blue-green: the new version runs as a preview with no live traffic, is
/// checked, then takes 100% at once; the old colour stays ready for an
/// instant rollback until the scale-down delay has passed.
public struct BlueGreenStrategy: Sendable {
    public var previewAnalysis: AnalysisReference?
    public var postPromotionAnalysis: AnalysisReference?
    /// Cut over without waiting for a person once the preview passes.
    public var autoPromote: Bool
    public var scaleDownDelay: StewardDuration

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["previewAnalysis", "postPromotionAnalysis", "autoPromote", "scaleDownDelay"]) else { return nil }
        previewAnalysis = m.optional("previewAnalysis").flatMap(AnalysisReference.init(reading:))
        postPromotionAnalysis = m.optional("postPromotionAnalysis").flatMap(AnalysisReference.init(reading:))
        autoPromote = m.optional("autoPromote")?.bool() ?? false
        scaleDownDelay = m.optional("scaleDownDelay")?.duration() ?? StewardDuration(seconds: 30 * 60)
    }
}

/// Experiment (A/B): variants share traffic until one wins on the primary
/// metric with enough samples and confidence.
public struct ExperimentStrategy: Sendable {
    public struct Variant: Sendable {
        public var version: SemanticVersion
        public var weight: Int
        public var path: FieldPath
    }

    public enum OnWinner: String, Sendable, CaseIterable {
        /// Commit the winner as the new stable version.
        case promote
        /// Only report the winner.
        case report
    }

    public var variants: [Variant]
    public var analysis: AnalysisReference
    /// The metric, from the analysis templates, that decides the winner.
    public var primaryMetric: String
    public var minSamplesPerVariant: Int
    /// E.g. 0.95.
    public var confidence: Double
    /// Flag the experiment invalid when traffic does not split as configured.
    public var sampleRatioCheck: Bool
    public var onWinner: OnWinner
    public var maxDuration: StewardDuration?

    static let fields = ["variants", "analysis", "primaryMetric", "minSamplesPerVariant", "confidence",
                         "sampleRatioCheck", "onWinner", "maxDuration"]

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: Self.fields) else { return nil }
        minSamplesPerVariant = m.optional("minSamplesPerVariant")?.int(in: 1...Int.max) ?? 1000
        confidence = m.optional("confidence")?.number(in: 0.5...0.9999) ?? 0.95
        sampleRatioCheck = m.optional("sampleRatioCheck")?.bool() ?? true
        onWinner = m.optional("onWinner")?.oneOf(OnWinner.self) ?? .report
        maxDuration = m.optional("maxDuration")?.duration()
        let variants = m.required("variants")?.list { item -> Variant? in
            guard let v = item.mapping(fields: ["version", "weight"]) else { return nil }
            let version = v.required("version")?.semanticVersion()
            let weight = v.required("weight")?.int(in: 0...100)
            guard let version, let weight else { return nil }
            return Variant(version: version, weight: weight, path: item.path)
        }
        let analysis = m.required("analysis").flatMap(AnalysisReference.init(reading:))
        let primaryMetric = m.required("primaryMetric")?.string()
        guard let variants, let analysis, let primaryMetric else { return nil }
        if let variantsReader = m.optional("variants"), variants.count == variantsReader.node.items?.count {
            let total = variants.reduce(0) { $0 + $1.weight }
            if total != 100 { variantsReader.error("weights-sum", "variant weights sum to \(total); they must sum to 100") }
            if variants.count < 2 { variantsReader.error("too-few-variants", "an experiment needs at least two variants") }
        }
        self.variants = variants
        self.analysis = analysis
        self.primaryMetric = primaryMetric
    }
}

/// Hooks called at the points of a rollout; a failing gate stops it there.
/// Where in a rollout a gate is asked.
public enum GatePoint: String, Sendable, Hashable, Codable, CaseIterable {
    /// Before the canary gets its first traffic.
    case beforeRollout
    /// Before each weight increase short of promotion.
    case beforeWeightIncrease
    /// Before the canary is promoted.
    case beforePromotion
    /// After a rollback: told, not waited for.
    case afterRollback
}

public struct Gates: Sendable {
    public var beforeRollout: [Gate] = []
    public var beforeWeightIncrease: [Gate] = []
    public var beforePromotion: [Gate] = []
    public var afterRollback: [Gate] = []

    public init() {}

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["beforeRollout", "beforeWeightIncrease", "beforePromotion", "afterRollback"]) else { return nil }
        beforeRollout = m.optional("beforeRollout")?.list(Gate.init(reading:)) ?? []
        beforeWeightIncrease = m.optional("beforeWeightIncrease")?.list(Gate.init(reading:)) ?? []
        beforePromotion = m.optional("beforePromotion")?.list(Gate.init(reading:)) ?? []
        afterRollback = m.optional("afterRollback")?.list(Gate.init(reading:)) ?? []
    }

    /// The gates asked at `point`.
    public subscript(point: GatePoint) -> [Gate] {
        switch point {
        case .beforeRollout: beforeRollout
        case .beforeWeightIncrease: beforeWeightIncrease
        case .beforePromotion: beforePromotion
        case .afterRollback: afterRollback
        }
    }
}

/// An HTTP hook: a 2xx answer within the timeout lets the rollout go on.
public struct Gate: Sendable, Hashable {
    public var name: String
    public var url: String
    public var timeout: StewardDuration
    /// After this many noes to one question the canary is rolled back (a
    /// smoke test that fails); nil waits for a yes however long it takes
    /// (an approval, an eval suite still running).
    public var failureLimit: Int?

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["name", "url", "timeout", "failureLimit"]) else { return nil }
        timeout = m.optional("timeout")?.duration() ?? StewardDuration(seconds: 10)
        failureLimit = m.optional("failureLimit")?.int(in: 1...10_000)
        let name = m.required("name")?.resourceName()
        let url = m.required("url")?.string()
        guard let name, let url else { return nil }
        if !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            m.required("url")?.error("invalid-url", "url: '\(url)' must start with http:// or https://")
        }
        self.name = name
        self.url = url
    }
}
