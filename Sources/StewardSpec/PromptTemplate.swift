import StewardYAML

/// `kind: PromptTemplate` — versioned prompt templates and the base models
/// each version is known to work, or not work, with.
public struct PromptTemplate: Sendable {
    public var metadata: Metadata
    public var source: ResourceSource
    public var versions: [PromptTemplateVersion]

    init?(spec r: NodeReader, metadata: Metadata, source: ResourceSource) {
        guard let m = r.mapping(fields: ["versions"]),
              let versions = m.required("versions")?.list(PromptTemplateVersion.init(reading:)) else { return nil }
        self.versions = versions
        self.metadata = metadata
        self.source = source
    }

    public func version(_ version: SemanticVersion) -> PromptTemplateVersion? {
        versions.first { $0.version == version }
    }
}

/// One version of a prompt template.
public struct PromptTemplateVersion: Sendable {
    public var version: SemanticVersion
    public var template: String?
    public var compatibleModels: [String]
    public var incompatibleModels: [String]
    /// The embeddings model retrieval must use with this template, if any.
    public var embeddingsModel: String?
    public var changeNote: String?
    public var path: FieldPath

    static let fields = ["version", "template", "compatibleModels", "incompatibleModels", "embeddingsModel", "changeNote"]

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: Self.fields) else { return nil }
        template = m.optional("template")?.string()
        compatibleModels = m.optional("compatibleModels")?.strings() ?? []
        incompatibleModels = m.optional("incompatibleModels")?.strings() ?? []
        embeddingsModel = m.optional("embeddingsModel")?.string()
        changeNote = m.optional("changeNote")?.string()
        path = r.path
        guard let version = m.required("version")?.semanticVersion() else { return nil }
        self.version = version
    }
}
