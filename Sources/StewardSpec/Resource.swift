import StewardYAML

/// One decoded document of the desired state.
public enum Resource: Sendable {
    case model(Model)
    case promptTemplate(PromptTemplate)
    case rollout(Rollout)
    case analysisTemplate(AnalysisTemplate)
    case policy(Policy)

    /// The `apiVersion` every document must carry.
    public static let apiVersion = "steward/v1"
    /// The kind of the status files the agent commits beside the desired state (`status/<rollout>.yaml`).
    public static let observedStatusKind = "RolloutStatus"

    /// The kinds, by the name written in `kind:`.
    public enum Kind: String, Sendable, CaseIterable {
        case Model, PromptTemplate, Rollout, AnalysisTemplate, Policy
    }

    public var kind: Kind {
        switch self {
        case .model: .Model
        case .promptTemplate: .PromptTemplate
        case .rollout: .Rollout
        case .analysisTemplate: .AnalysisTemplate
        case .policy: .Policy
        }
    }

    public var metadata: Metadata {
        switch self {
        case .model(let r): r.metadata
        case .promptTemplate(let r): r.metadata
        case .rollout(let r): r.metadata
        case .analysisTemplate(let r): r.metadata
        case .policy(let r): r.metadata
        }
    }

    public var source: ResourceSource {
        switch self {
        case .model(let r): r.source
        case .promptTemplate(let r): r.source
        case .rollout(let r): r.source
        case .analysisTemplate(let r): r.source
        case .policy(let r): r.source
        }
    }

    /// Decodes one document; problems go to `bag`. Nil for an empty
    /// document or one too broken to use.
    public static func decode(_ document: YAMLDocument, bag: DiagnosticBag) -> Resource? {
        guard let root = document.root else { return nil }
        // The agent's status files sit in the same repository; they are what is, not what is asked for.
        if root["kind"]?.scalar?.text == observedStatusKind { return nil }
        let r = NodeReader(node: root, file: document.file, bag: bag)
        guard let m = r.mapping(fields: ["apiVersion", "kind", "metadata", "spec"]) else { return nil }
        if let apiReader = m.required("apiVersion"), let api = apiReader.string(), api != apiVersion {
            apiReader.error("unknown-api-version", "apiVersion must be \(apiVersion), found '\(api)'")
        }
        let kind = m.required("kind")?.oneOf(Kind.self)
        let metadata = m.required("metadata").flatMap(Metadata.init(reading:))
        let spec = m.required("spec")
        guard let kind, let metadata, let spec else { return nil }
        let source = ResourceSource(file: document.file, documentIndex: document.index, root: root)
        switch kind {
        case .Model: return Model(spec: spec, metadata: metadata, source: source).map(Resource.model)
        case .PromptTemplate: return PromptTemplate(spec: spec, metadata: metadata, source: source).map(Resource.promptTemplate)
        case .Rollout: return Rollout(spec: spec, metadata: metadata, source: source).map(Resource.rollout)
        case .AnalysisTemplate: return AnalysisTemplate(spec: spec, metadata: metadata, source: source).map(Resource.analysisTemplate)
        case .Policy: return Policy(spec: spec, metadata: metadata, source: source).map(Resource.policy)
        }
    }
}
