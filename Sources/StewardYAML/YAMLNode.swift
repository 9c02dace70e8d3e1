/// One node of a parsed YAML document, with the place it came from.
///
/// Scalars keep the text the author wrote (after quote and escape
/// processing) and their style; nothing is converted to a number or a
/// boolean until a decoder asks for one, so `no`, `0755` or `2.10` stay
/// exactly what they were written as.
public struct YAMLNode: Sendable {
    /// A scalar, a list or a mapping.
    public enum Content: Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([Pair])
    }

    /// A key and its value in a mapping; keys are always scalars.
    public struct Pair: Sendable {
        public var key: YAMLNode
        public var value: YAMLNode

        /// The key's text.
        public var name: String { key.scalar?.text ?? "" }
    }

    public var content: Content
    /// An explicit tag such as `!!str`, if the author wrote one.
    public var tag: String?
    public var range: SourceRange

    public init(content: Content, tag: String? = nil, range: SourceRange) {
        self.content = content
        self.tag = tag
        self.range = range
    }

    /// The scalar, when this node is one.
    public var scalar: YAMLScalar? {
        if case .scalar(let s) = content { return s }
        return nil
    }

    /// The items, when this node is a list.
    public var items: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// The entries in source order, when this node is a mapping.
    public var pairs: [Pair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// The value under `key` when this node is a mapping.
    public subscript(key: String) -> YAMLNode? {
        pairs?.first { $0.name == key }?.value
    }

    /// A short name for the node's kind, for error messages.
    public var kindDescription: String {
        switch content {
        case .scalar(let s): s.isNull ? "null" : (s.style == .plain ? "a scalar" : "a string")
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

/// A scalar's text and how it was written.
public struct YAMLScalar: Sendable, Hashable {
    public enum Style: String, Sendable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    public var text: String
    public var style: Style

    public init(text: String, style: Style) {
        self.text = text
        self.style = style
    }

    /// Whether this is YAML's null: an empty, `~` or `null` plain scalar.
    public var isNull: Bool {
        style == .plain && ["", "~", "null", "Null", "NULL"].contains(text)
    }
}

/// One document of a YAML stream.
public struct YAMLDocument: Sendable {
    /// The file it was read from, as given to the parser.
    public var file: String
    /// Its 0-based index in the stream.
    public var index: Int
    /// Its root node; nil for an empty document.
    public var root: YAMLNode?
    public var range: SourceRange

    /// Whether nothing is written in it (a file ending in `---` has such a
    /// last document): not an error, nothing to read. `--- null` is not empty.
    public var isEmpty: Bool {
        guard let root else { return true }
        return root.scalar.map { $0.style == .plain && $0.text.isEmpty } ?? false
    }
}
