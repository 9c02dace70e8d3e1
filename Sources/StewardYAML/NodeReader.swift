/// A strict, position-aware reader of one node.
///
/// Each accessor returns the value, or nil after recording a diagnostic
/// that names the file, line, column and field path and says what was
/// expected. Decoding goes on after a problem, so one pass reports every
/// problem in a document.
///
/// Scalars follow YAML 1.2's core schema and refuse YAML 1.1's surprises:
/// a boolean is `true` or `false` (never `yes`, `no`, `on`, `off`); an
/// integer with a leading zero (`0755`) is refused rather than read as
/// octal; a quoted scalar is a string, never a number. A string field takes
/// the scalar's text exactly as written, so `version: 2.10` is "2.10".
public struct NodeReader: Sendable {
    public let node: YAMLNode
    public let file: String
    public let path: FieldPath
    public let bag: DiagnosticBag

    public init(node: YAMLNode, file: String, path: FieldPath = [], bag: DiagnosticBag) {
        self.node = node
        self.file = file
        self.path = path
        self.bag = bag
    }

    /// Records an error at this node (or at `position`).
    public func error(_ code: String, _ message: String, at position: SourcePosition? = nil) {
        report(.error, code, message, at: position)
    }

    /// Records a warning at this node (or at `position`).
    public func warning(_ code: String, _ message: String, at position: SourcePosition? = nil) {
        report(.warning, code, message, at: position)
    }

    private func report(_ severity: Diagnostic.Severity, _ code: String, _ message: String, at position: SourcePosition?) {
        let pathText = path.components.isEmpty ? nil : path.description
        bag.add(Diagnostic(severity, code: code, message, file: file, at: position ?? node.range.start, path: pathText))
    }

    /// The field's name, for messages: the last key of the path.
    public var fieldName: String {
        for component in path.components.reversed() {
            if case .key(let key) = component { return key }
        }
        return path.components.isEmpty ? "a document" : "value"
    }

    private func typeMismatch(_ expected: String) {
        error("wrong-type", "\(fieldName) must be \(expected), found \(found)")
    }

    /// What the node holds, for messages: `'no'`, `the quoted string '5'`, `a list`.
    private var found: String {
        guard let scalar = node.scalar, !scalar.isNull else { return node.kindDescription }
        let text = scalar.text.count > 40 ? scalar.text.prefix(40) + "…" : scalar.text
        return scalar.style == .plain ? "'\(text)'" : "the quoted string '\(text)'"
    }

    // MARK: - Scalars

    /// The scalar's text as written. Null is not a string.
    public func string() -> String? {
        guard let scalar = node.scalar, !scalar.isNull else {
            typeMismatch("a string")
            return nil
        }
        return scalar.text
    }

    /// `true` or `false`.
    public func bool() -> Bool? {
        guard let scalar = node.scalar, scalar.style == .plain else {
            typeMismatch("true or false")
            return nil
        }
        switch scalar.text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        case let word where ScalarSyntax.yaml11Booleans.contains(word.lowercased()):
            error("ambiguous-boolean", "\(fieldName): '\(word)' is a boolean only in YAML 1.1; write true or false")
            return nil
        default:
            typeMismatch("true or false")
            return nil
        }
    }

    /// A decimal integer, optionally within `range`.
    public func int(in range: ClosedRange<Int>? = nil) -> Int? {
        numeric("a whole number", in: range, show: { $0 == .max ? nil : String($0) }) { text in
            ScalarSyntax.isDecimalInteger(text) ? Int(text) : nil
        }
    }

    /// A finite decimal number (`0.3`, `1e3`), optionally within `range`.
    public func number(in range: ClosedRange<Double>? = nil) -> Double? {
        numeric("a number", in: range, show: { $0 == .greatestFiniteMagnitude ? nil : ScalarSyntax.format($0) }) { text in
            guard ScalarSyntax.isDecimalNumber(text), let value = Double(text), value.isFinite else { return nil }
            return value
        }
    }

    /// The shared rules of numbers: plain scalars only, no leading zero,
    /// then `parse`, then the range (`show` gives nil for an open upper end).
    private func numeric<Value: Comparable>(
        _ expected: String, in range: ClosedRange<Value>?, show: (Value) -> String?, parse: (String) -> Value?
    ) -> Value? {
        guard let scalar = node.scalar, scalar.style == .plain, !scalar.isNull else {
            typeMismatch(expected)
            return nil
        }
        if let problem = ScalarSyntax.leadingZeroProblem(scalar.text) {
            error("ambiguous-number", "\(fieldName): \(problem)")
            return nil
        }
        guard let value = parse(scalar.text) else {
            typeMismatch(expected)
            return nil
        }
        if let range, !range.contains(value) {
            let lower = show(range.lowerBound) ?? "\(range.lowerBound)"
            let bounds = show(range.upperBound).map { "between \(lower) and \($0)" } ?? "at least \(lower)"
            error("out-of-range", "\(fieldName) must be \(bounds), found \(scalar.text)")
            return nil
        }
        return value
    }

    /// One of an enumeration's raw values, with a suggestion when misspelt.
    public func oneOf<Value: RawRepresentable & CaseIterable>(_ type: Value.Type) -> Value? where Value.RawValue == String {
        choice(among: Value.allCases.map(\.rawValue)).flatMap(Value.init(rawValue:))
    }

    /// One of `allowed`, with a suggestion when misspelt.
    public func choice(among allowed: [String]) -> String? {
        guard let text = string() else { return nil }
        if allowed.contains(text) { return text }
        var message = "\(fieldName): '\(text)' is not one of \(allowed.joined(separator: ", "))"
        if let guess = Suggestion.closest(to: text, among: allowed) { message += "; did you mean '\(guess)'?" }
        error("unknown-value", message)
        return nil
    }

    // MARK: - Collections

    /// The items of a list, each with its own reader.
    public func list() -> [NodeReader]? {
        guard let items = node.items else {
            typeMismatch("a list")
            return nil
        }
        return items.enumerated().map { NodeReader(node: $1, file: file, path: path.appending($0), bag: bag) }
    }

    /// A list decoded item by item; items with problems are left out (their
    /// problems are recorded).
    public func list<T>(_ decode: (NodeReader) -> T?) -> [T]? {
        guard let items = list() else { return nil }
        // Sized up front: a desired state keeps these arrays for as long as
        // it is served, and growing by appends leaves up to half of each unused.
        var decoded: [T] = []
        decoded.reserveCapacity(items.count)
        for item in items {
            if let value = decode(item) { decoded.append(value) }
        }
        return decoded
    }

    /// A list of strings.
    public func strings() -> [String]? {
        list { $0.string() }
    }

    /// A mapping whose keys must come from `fields`; any other key is an
    /// error with a "did you mean" suggestion.
    public func mapping(fields: [String]) -> MappingReader? {
        guard let pairs = node.pairs else {
            typeMismatch("a mapping")
            return nil
        }
        var misspelt: Set<String> = []
        for pair in pairs where !fields.contains(pair.name) {
            var message = "unknown field '\(pair.name)'"
            if let guess = Suggestion.closest(to: pair.name, among: fields) {
                message += "; did you mean '\(guess)'?"
                misspelt.insert(guess)
            } else {
                message += "; expected one of: \(fields.joined(separator: ", "))"
            }
            NodeReader(node: pair.key, file: file, path: path.appending(pair.name), bag: bag)
                .error("unknown-field", message)
        }
        return MappingReader(reader: self, fields: fields, misspelt: misspelt)
    }

    /// A mapping with free-form keys (labels, parameters), in source order.
    public func entries() -> [(key: String, value: NodeReader)]? {
        guard let pairs = node.pairs else {
            typeMismatch("a mapping")
            return nil
        }
        return pairs.map { ($0.name, NodeReader(node: $0.value, file: file, path: path.appending($0.name), bag: bag)) }
    }
}

/// The fields of one mapping, read by name.
public struct MappingReader: Sendable {
    public let reader: NodeReader
    public let fields: [String]
    /// Fields that an unknown key was taken for a misspelling of: their
    /// absence is already explained by that key's error.
    let misspelt: Set<String>

    /// The field's reader, or nil when it is absent or null.
    public func optional(_ key: String) -> NodeReader? {
        assert(fields.contains(key), "field '\(key)' missing from the declared fields")
        guard let value = reader.node[key] else { return nil }
        if let scalar = value.scalar, scalar.isNull { return nil }
        return NodeReader(node: value, file: reader.file, path: reader.path.appending(key), bag: reader.bag)
    }

    /// The field's reader; an error when it is absent or null.
    public func required(_ key: String) -> NodeReader? {
        if let value = optional(key) { return value }
        if misspelt.contains(key) { return nil }
        let where_ = reader.node[key]
        let message = where_ == nil ? "missing required field '\(key)'" : "field '\(key)' must have a value"
        let path = reader.path.appending(key)
        NodeReader(node: where_ ?? reader.node, file: reader.file, path: path, bag: reader.bag)
            .error("missing-field", message)
        return nil
    }

    /// Whether the field is present with a non-null value.
    public func has(_ key: String) -> Bool { optional(key) != nil }
}
