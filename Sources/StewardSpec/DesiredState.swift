import StewardYAML

/// Everything a revision of the watched repository asks for, by kind and name.
public struct DesiredState: Sendable {
    public var models: [String: Model] = [:]
    public var promptTemplates: [String: PromptTemplate] = [:]
    public var rollouts: [String: Rollout] = [:]
    public var analysisTemplates: [String: AnalysisTemplate] = [:]
    public var policies: [String: Policy] = [:]

    public init() {}

    /// Adds a resource; returns the one already there under the same kind
    /// and name, which is left in place.
    mutating func insert(_ resource: Resource) -> Resource? {
        let name = resource.metadata.name
        switch resource {
        case .model(let r):
            if let old = models[name] { return .model(old) }
            models[name] = r
        case .promptTemplate(let r):
            if let old = promptTemplates[name] { return .promptTemplate(old) }
            promptTemplates[name] = r
        case .rollout(let r):
            if let old = rollouts[name] { return .rollout(old) }
            rollouts[name] = r
        case .analysisTemplate(let r):
            if let old = analysisTemplates[name] { return .analysisTemplate(old) }
            analysisTemplates[name] = r
        case .policy(let r):
            if let old = policies[name] { return .policy(old) }
            policies[name] = r
        }
        return nil
    }

    /// How many resources the state holds.
    public var count: Int {
        models.count + promptTemplates.count + rollouts.count + analysisTemplates.count + policies.count
    }
}

/// One file of the desired state: its path, as diagnostics should name it,
/// and its bytes.
public struct SourceFile: Sendable {
    public var path: String
    public var bytes: [UInt8]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }
}

/// The outcome of loading a revision: the state and every problem found.
public struct LoadResult: Sendable {
    public var state: DesiredState
    public var diagnostics: [Diagnostic]
    /// The files read, in order.
    public var files: [String]

    public var isValid: Bool { !diagnostics.contains { $0.severity == .error } }
}

extension DesiredState {
    /// The same state without the YAML trees kept for diagnostics: a
    /// long-running agent has validated the state already and edits files
    /// from the bytes of the tip it commits on, so it need not hold every
    /// node of every file (most of its memory with a thousand models).
    public func withoutSyntaxTrees() -> DesiredState {
        var copy = self
        for key in copy.models.keys { copy.models[key]?.source.root = YAMLNode.placeholder }
        for key in copy.promptTemplates.keys { copy.promptTemplates[key]?.source.root = YAMLNode.placeholder }
        for key in copy.rollouts.keys { copy.rollouts[key]?.source.root = YAMLNode.placeholder }
        for key in copy.analysisTemplates.keys { copy.analysisTemplates[key]?.source.root = YAMLNode.placeholder }
        for key in copy.policies.keys { copy.policies[key]?.source.root = YAMLNode.placeholder }
        return copy
    }
}

extension YAMLNode {
    /// An empty mapping at 1:1, standing in for a syntax tree let go of.
    static let placeholder = YAMLNode(content: .mapping([]), range: SourceRange(start: .init(line: 1, column: 1, offset: 0),
                                                                                 end: .init(line: 1, column: 1, offset: 0)))
}

extension Resource {
    /// The same resource without its syntax tree (positions then point at 1:1).
    func withoutSyntaxTree() -> Resource {
        switch self {
        case .model(var r): r.source.root = YAMLNode.placeholder; return .model(r)
        case .promptTemplate(var r): r.source.root = YAMLNode.placeholder; return .promptTemplate(r)
        case .rollout(var r): r.source.root = YAMLNode.placeholder; return .rollout(r)
        case .analysisTemplate(var r): r.source.root = YAMLNode.placeholder; return .analysisTemplate(r)
        case .policy(var r): r.source.root = YAMLNode.placeholder; return .policy(r)
        }
    }
}

extension DesiredState {
    /// The metrics of every analysis `rollout` references, each once (by name), in order.
    public func metrics(of rollout: Rollout) -> [MetricSpec] {
        var seen: Set<String> = []
        return rollout.analysisReferences.flatMap(\.templates).compactMap { analysisTemplates[$0] }.flatMap(\.metrics)
            .filter { seen.insert($0.name).inserted }
    }

    /// The metrics of `rollout` that read the built-in ingest, with their measure.
    public func ingestMeasures(of rollout: Rollout) -> [(name: String, measure: IngestMeasure)] {
        // A loop rather than compactMap over an optional map: Swift 6.3's optimizer crashes on that (CopyPropagation).
        var result: [(name: String, measure: IngestMeasure)] = []
        for metric in metrics(of: rollout) {
            if let measure = metric.ingestMeasure { result.append((metric.name, measure)) }
        }
        return result
    }
}
