import StewardYAML

/// `kind: Model` — a named model and the versions of it that exist.
public struct Model: Sendable {
    public var metadata: Metadata
    public var source: ResourceSource
    public var description: String?
    public var owner: String?
    public var versions: [ModelVersion]
    /// Which base models count as this model's upgrades (`steward upgrades`).
    public var upgrades: UpgradeTracking?

    static let fields = ["description", "owner", "versions", "upgrades"]

    init?(spec r: NodeReader, metadata: Metadata, source: ResourceSource) {
        guard let m = r.mapping(fields: Self.fields) else { return nil }
        description = m.optional("description")?.string()
        owner = m.optional("owner")?.string()
        upgrades = m.optional("upgrades").flatMap(UpgradeTracking.init(reading:))
        guard let versionsReader = m.required("versions"),
              let versions = versionsReader.list(ModelVersion.init(reading:)) else { return nil }
        if versionsReader.node.items?.isEmpty == true {
            versionsReader.error("empty-list", "a model needs at least one version")
        }
        self.versions = versions
        self.metadata = metadata
        self.source = source
    }

    /// The version with this number, if the model has it.
    public func version(_ version: SemanticVersion) -> ModelVersion? {
        versions.first { $0.version == version }
    }
}

/// One version of a model: what it is made of and where it is in its life.
public struct ModelVersion: Sendable {
    public var version: SemanticVersion
    public var baseModel: String
    public var adapter: String?
    public var promptTemplate: TemplateReference?
    public var parameters: Parameters
    public var status: LifecycleStatus
    public var parent: SemanticVersion?
    public var created: String?
    public var author: String?
    public var configHash: String?
    public var baseline: Baseline?
    public var trainingData: TrainingData?
    public var compatibility: Compatibility?
    public var notes: String?
    /// Set by the agent when it rolled the version back: no rollout makes it
    /// the canary again unless it says `retry: true`.
    public var rolledBack: RollbackMark?
    /// When the version entered its current status, as the agent stamps it
    /// at each transition it commits: where the retention and deprecation
    /// rules count a version's age from.
    public var since: UTCDate?
    /// Where the version sits in its document, e.g. `spec.versions[2]`.
    public var path: FieldPath

    static let fields = [
        "version", "baseModel", "adapter", "promptTemplate", "parameters", "status", "parent",
        "created", "author", "configHash", "baseline", "trainingData", "compatibility", "notes", "rolledBack", "since",
    ]

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: Self.fields) else { return nil }
        adapter = m.optional("adapter")?.string()
        promptTemplate = m.optional("promptTemplate").flatMap(TemplateReference.init(reading:))
        parameters = m.optional("parameters").flatMap(Parameters.init(reading:)) ?? Parameters()
        parent = m.optional("parent")?.semanticVersion()
        created = m.optional("created")?.string()
        author = m.optional("author")?.string()
        configHash = m.optional("configHash")?.string()
        baseline = m.optional("baseline").flatMap(Baseline.init(reading:))
        trainingData = m.optional("trainingData").flatMap(TrainingData.init(reading:))
        compatibility = m.optional("compatibility").flatMap(Compatibility.init(reading:))
        notes = m.optional("notes")?.string()
        rolledBack = m.optional("rolledBack").flatMap(RollbackMark.init(reading:))
        since = m.optional("since")?.date()
        path = r.path
        let version = m.required("version")?.semanticVersion()
        let baseModel = m.required("baseModel")?.string()
        let status = m.required("status")?.oneOf(LifecycleStatus.self)
        guard let version, let baseModel, let status else { return nil }
        self.version = version
        self.baseModel = baseModel
        self.status = status
    }
}

/// A prompt template version a model version uses: `{name, version}`.
public struct TemplateReference: Sendable, Hashable {
    public var name: String
    public var version: SemanticVersion

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["name", "version"]) else { return nil }
        let name = m.required("name")?.resourceName()
        let version = m.required("version")?.semanticVersion()
        guard let name, let version else { return nil }
        self.name = name
        self.version = version
    }
}

/// Sampling parameters.
public struct Parameters: Sendable, Hashable {
    public var temperature: Double?
    public var maxTokens: Int?
    public var topP: Double?
    public var topK: Int?
    public var frequencyPenalty: Double?
    public var presencePenalty: Double?
    public var stop: [String]?

    public init() {}

    init?(reading r: NodeReader) {
        let fields = ["temperature", "maxTokens", "topP", "topK", "frequencyPenalty", "presencePenalty", "stop"]
        guard let m = r.mapping(fields: fields) else { return nil }
        temperature = m.optional("temperature")?.number(in: 0...2)
        maxTokens = m.optional("maxTokens")?.int(in: 1...10_000_000)
        topP = m.optional("topP")?.number(in: 0...1)
        topK = m.optional("topK")?.int(in: 1...1_000_000)
        frequencyPenalty = m.optional("frequencyPenalty")?.number(in: -2...2)
        presencePenalty = m.optional("presencePenalty")?.number(in: -2...2)
        stop = m.optional("stop")?.strings()
    }
}

/// Performance measured before release, the yardstick for analysis.
public struct Baseline: Sendable, Hashable {
    public var accuracy: Double?
    public var latencyP50Ms: Double?
    public var latencyP95Ms: Double?
    public var costPerRequest: Double?
    public var tokensPerRequest: Double?
    public var rating: Double?
    public var errorRate: Double?
    public var hallucinationRate: Double?

    init?(reading r: NodeReader) {
        let fields = ["accuracy", "latencyP50Ms", "latencyP95Ms", "costPerRequest", "tokensPerRequest",
                      "rating", "errorRate", "hallucinationRate"]
        guard let m = r.mapping(fields: fields) else { return nil }
        let nonNegative = 0.0...Double.greatestFiniteMagnitude
        accuracy = m.optional("accuracy")?.number(in: 0...1)
        latencyP50Ms = m.optional("latencyP50Ms")?.number(in: nonNegative)
        latencyP95Ms = m.optional("latencyP95Ms")?.number(in: nonNegative)
        costPerRequest = m.optional("costPerRequest")?.number(in: nonNegative)
        tokensPerRequest = m.optional("tokensPerRequest")?.number(in: nonNegative)
        rating = m.optional("rating")?.number(in: 0...5)
        errorRate = m.optional("errorRate")?.number(in: 0...1)
        hallucinationRate = m.optional("hallucinationRate")?.number(in: 0...1)
    }
}

/// What a version was trained on.
public struct TrainingData: Sendable, Hashable {
    public var dataset: String
    public var hash: String?
    public var examples: Int?

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["dataset", "hash", "examples"]) else { return nil }
        hash = m.optional("hash")?.string()
        examples = m.optional("examples")?.int(in: 0...Int.max)
        guard let dataset = m.required("dataset")?.string() else { return nil }
        self.dataset = dataset
    }
}

/// What a version needs from the rest of the system.
public struct Compatibility: Sendable, Hashable {
    public var embeddingsModel: String?
    public var minApiVersion: String?

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["embeddingsModel", "minApiVersion"]) else { return nil }
        embeddingsModel = m.optional("embeddingsModel")?.string()
        minApiVersion = m.optional("minApiVersion")?.string()
    }
}

/// The agent's record of a rollback on the version it rolled back: when,
/// why (the failing metric and its evidence) and the commit that had made
/// it the canary.
public struct RollbackMark: Sendable, Hashable {
    /// When, as an ISO 8601 time.
    public var at: String
    public var reason: String
    public var commit: String?

    /// The fields, in the order the agent writes them.
    public static let fields = ["at", "reason", "commit"]

    public init(at: String, reason: String, commit: String?) {
        self.at = at
        self.reason = reason
        self.commit = commit
    }

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: Self.fields) else { return nil }
        commit = m.optional("commit")?.string()
        guard let at = m.required("at")?.string(), let reason = m.required("reason")?.string() else { return nil }
        self.at = at
        self.reason = reason
    }
}
