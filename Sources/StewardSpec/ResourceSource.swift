import StewardYAML

/// Where a resource was declared: its file, its document and the document's
/// tree, so that a rule checked later can point at the exact field.
public struct ResourceSource: Sendable {
    public var file: String
    public var documentIndex: Int
    public var root: YAMLNode

    public init(file: String, documentIndex: Int, root: YAMLNode) {
        self.file = file
        self.documentIndex = documentIndex
        self.root = root
    }

    /// The position of the field at `path`, or of its nearest ancestor that exists.
    public func position(of path: FieldPath) -> SourcePosition {
        var components = path.components
        while true {
            if let node = root.node(at: FieldPath(components)) { return node.range.start }
            if components.isEmpty { return root.range.start }
            components.removeLast()
        }
    }

    /// A diagnostic about the field at `path`.
    public func diagnostic(_ severity: Diagnostic.Severity, _ code: String, _ message: String, at path: FieldPath) -> Diagnostic {
        Diagnostic(severity, code: code, message, file: file, at: position(of: path), path: path.description)
    }
}
