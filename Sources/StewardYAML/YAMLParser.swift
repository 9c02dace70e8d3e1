import CYAML

/// Reads YAML streams into positioned node trees through libyaml's event
/// parser.
///
/// Anchors and aliases are resolved while the tree is built; an alias that
/// refers to a node still being built (a cycle) or one that expands past
/// ``Limits/maxExpandedNodes`` is an error, so hostile input fails fast
/// instead of hanging. Duplicate mapping keys are errors too.
public struct YAMLParser: Sendable {
    /// Bounds that keep hostile input from exhausting time or memory.
    public struct Limits: Sendable {
        /// Files larger than this are refused before parsing.
        public var maxFileBytes: Int
        /// Deepest nesting of lists and mappings.
        public var maxDepth: Int
        /// Most nodes one document may hold once aliases are expanded.
        public var maxExpandedNodes: Int

        public init(maxFileBytes: Int = 16 << 20, maxDepth: Int = 128, maxExpandedNodes: Int = 1_000_000) {
            self.maxFileBytes = maxFileBytes
            self.maxDepth = maxDepth
            self.maxExpandedNodes = maxExpandedNodes
        }
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Parses every document of `bytes`, read from `file`.
    public func parse(_ bytes: [UInt8], file: String) throws(YAMLError) -> [YAMLDocument] {
        guard bytes.count <= limits.maxFileBytes else {
            throw YAMLError(
                file: file, position: SourcePosition(line: 1, column: 1, offset: 0),
                message: "file is \(bytes.count) bytes; Steward reads YAML files of at most \(limits.maxFileBytes) bytes")
        }
        let text = try SourceText(bytes: bytes, file: file)
        var builder = TreeBuilder(file: file, text: text, limits: limits)
        return try builder.run()
    }

    /// Parses a string; convenient for tests and small inputs.
    public func parse(_ string: String, file: String = "<string>") throws(YAMLError) -> [YAMLDocument] {
        try parse(Array(string.utf8), file: file)
    }
}

/// Drives libyaml and assembles nodes from its events.
private struct TreeBuilder {
    let file: String
    let text: SourceText
    let limits: YAMLParser.Limits

    /// A collection whose children are still arriving.
    private struct Frame {
        var start: SourcePosition
        var tag: String?
        var anchor: String?
        var isMapping: Bool
        var items: [YAMLNode] = []
        var pairs: [YAMLNode.Pair] = []
        var pendingKey: YAMLNode?
        var keyPositions: [String: SourcePosition] = [:]
        var size = 1
    }

    private var stack: [Frame] = []
    private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    private var openAnchors: Set<String> = []
    private var documents: [YAMLDocument] = []
    private var documentStart = SourcePosition(line: 1, column: 1, offset: 0)
    private var root: (node: YAMLNode, size: Int)?
    private var expandedNodes = 0

    init(file: String, text: SourceText, limits: YAMLParser.Limits) {
        self.file = file
        self.text = text
        self.limits = limits
    }

    mutating func run() throws(YAMLError) -> [YAMLDocument] {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw error(at: SourcePosition(line: 1, column: 1, offset: 0), "libyaml could not start (out of memory)")
        }
        defer { yaml_parser_delete(&parser) }

        let body = text.bytes[text.prefix...]
        return try body.withUnsafeBufferPointer { (buffer) throws(YAMLError) -> [YAMLDocument] in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    throw parserError(parser)
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return documents }
                try handle(event)
            }
        }
    }

    private mutating func handle(_ event: yaml_event_t) throws(YAMLError) {
        let start = position(event.start_mark)
        let end = position(event.end_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documentStart = start
            anchors = [:]
            expandedNodes = 0
            root = nil
        case YAML_DOCUMENT_END_EVENT:
            documents.append(YAMLDocument(
                file: file, index: documents.count, root: root?.node,
                range: SourceRange(start: documentStart, end: end)))
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let value = string(data.value, count: data.length) ?? ""
            let tag = string(data.tag)
            // `!!str 0.3` is the string "0.3", as if quoted.
            let isString = try check(tag, at: start, allowed: Self.coreTag + "str")
            let node = YAMLNode(
                content: .scalar(YAMLScalar(text: value, style: isString ? .doubleQuoted : style(data.style))),
                tag: tag, range: SourceRange(start: start, end: end))
            try register(anchor: string(data.anchor), node: node, size: 1)
            try attach(node, size: 1)
        case YAML_ALIAS_EVENT:
            let name = string(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                let why = openAnchors.contains(name)
                    ? "alias *\(name) refers to a node that contains it (a cycle)"
                    : "alias *\(name) refers to no anchor &\(name) defined before it"
                throw error(at: start, why)
            }
            try attach(target.node, size: target.size, at: start)
        case YAML_SEQUENCE_START_EVENT:
            let data = event.data.sequence_start
            try check(string(data.tag), at: start, allowed: Self.coreTag + "seq")
            try push(Frame(start: start, tag: string(data.tag), anchor: string(data.anchor), isMapping: false))
        case YAML_MAPPING_START_EVENT:
            let data = event.data.mapping_start
            try check(string(data.tag), at: start, allowed: Self.coreTag + "map")
            try push(Frame(start: start, tag: string(data.tag), anchor: string(data.anchor), isMapping: true))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            let frame = stack.removeLast()
            let content: YAMLNode.Content = frame.isMapping ? .mapping(frame.pairs) : .sequence(frame.items)
            let node = YAMLNode(content: content, tag: frame.tag, range: SourceRange(start: frame.start, end: end))
            if let anchor = frame.anchor { openAnchors.remove(anchor) }
            try register(anchor: frame.anchor, node: node, size: frame.size)
            // The frame's own node was counted when it was pushed.
            try attach(node, size: frame.size, counted: true)
        default:
            break
        }
    }

    private mutating func push(_ frame: Frame) throws(YAMLError) {
        guard stack.count < limits.maxDepth else {
            throw error(at: frame.start, "nesting deeper than \(limits.maxDepth) levels")
        }
        if let anchor = frame.anchor { openAnchors.insert(anchor) }
        try count(1, at: frame.start)
        stack.append(frame)
    }

    private mutating func register(anchor: String?, node: YAMLNode, size: Int) throws(YAMLError) {
        guard let anchor else { return }
        anchors[anchor] = (node, size)
    }

    /// Adds a finished node to its parent, or makes it the document's root.
    /// `place` is where the node was used: an alias's own position.
    private mutating func attach(_ node: YAMLNode, size: Int, at place: SourcePosition? = nil, counted: Bool = false) throws(YAMLError) {
        if !counted { try count(size, at: place ?? node.range.start) }
        guard !stack.isEmpty else {
            root = (node, size)
            return
        }
        stack[stack.count - 1].size += size
        if !stack[stack.count - 1].isMapping {
            stack[stack.count - 1].items.append(node)
            return
        }
        guard let key = stack[stack.count - 1].pendingKey else {
            guard let keyText = node.scalar?.text else {
                throw error(at: node.range.start, "mapping keys must be plain text, not \(node.kindDescription)")
            }
            if let first = stack[stack.count - 1].keyPositions[keyText] {
                throw error(at: node.range.start, "duplicate key '\(keyText)' (first defined at line \(first.line), column \(first.column))")
            }
            stack[stack.count - 1].keyPositions[keyText] = node.range.start
            stack[stack.count - 1].pendingKey = node
            return
        }
        stack[stack.count - 1].pairs.append(YAMLNode.Pair(key: key, value: node))
        stack[stack.count - 1].pendingKey = nil
    }

    private mutating func count(_ nodes: Int, at place: SourcePosition) throws(YAMLError) {
        expandedNodes += nodes
        guard expandedNodes <= limits.maxExpandedNodes else {
            throw error(at: place, "document expands to more than \(limits.maxExpandedNodes) nodes (aliases included); refusing to expand further")
        }
    }

    // MARK: - Conversions

    private func position(_ mark: yaml_mark_t) -> SourcePosition {
        SourcePosition(line: Int(mark.line) + 1, column: Int(mark.column) + 1,
                       offset: text.byteOffset(ofScalarIndex: Int(mark.index)))
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, count: Int) -> String? {
        guard let pointer else { return nil }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    private func style(_ style: yaml_scalar_style_t) -> YAMLScalar.Style {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }

    static let coreTag = "tag:yaml.org,2002:"

    /// Explicit tags would change what a value means in ways the schemas do
    /// not describe (`!prod`, a `%TAG` handle, `!!binary`): only the core tag
    /// that says what the node already is may be written. Returns whether
    /// `tag` is that one.
    @discardableResult
    private func check(_ tag: String?, at place: SourcePosition, allowed: String) throws(YAMLError) -> Bool {
        guard let tag else { return false }
        guard tag == allowed else {
            let shown = tag.hasPrefix(Self.coreTag) ? "!!" + tag.dropFirst(Self.coreTag.count) : tag
            throw error(at: place, "the explicit tag '\(shown)' is not supported: Steward reads plain YAML; remove it (quote a value to make it a string)")
        }
        return true
    }

    private func error(at place: SourcePosition, _ message: String) -> YAMLError {
        YAMLError(file: file, position: place, message: message)
    }

    private func parserError(_ parser: yaml_parser_t) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
        var message = problem
        if let context = parser.context.map({ String(cString: $0) }) {
            let where_ = position(parser.context_mark)
            message += " (\(context) at line \(where_.line), column \(where_.column))"
        }
        return error(at: position(parser.problem_mark), message)
    }
}
