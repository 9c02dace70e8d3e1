/// Reads a `Decodable` value from a YAML node by `NodeReader`'s strict
/// rules (YAML 1.2 core scalars, no `yes`/`no`, no octal, quoted text is
/// never a number), so a hand-edited file gets the same clear errors as any
/// other: file, line, column, field path and what was expected.
///
/// A key the type does not know is an error, as in every Steward file.
/// Decoding stops at the first problem, which is recorded in the reader's bag.
public struct YAMLDecoder: Sendable {
    public init() {}

    /// The value, or nil with the problem recorded in `reader.bag`.
    public func decode<T: Decodable>(_ type: T.Type, from reader: NodeReader) -> T? {
        do {
            return try NodeDecoder.value(T.self, at: reader)
        } catch is AlreadyRecorded {
            return nil
        } catch let error as DecodingError {
            // Thrown by a type's own `init(from:)` (an unknown enum case, say): find the node it was at.
            let (path, message) = Self.describe(error)
            var node = reader
            for key in path {
                guard let child = Self.child(of: node, key) else { break }
                node = child
            }
            node.error("invalid-value", "\(node.fieldName): \(message)")
            return nil
        } catch {
            reader.error("invalid-value", "\(error)")
            return nil
        }
    }

    private static func describe(_ error: DecodingError) -> (path: [any CodingKey], message: String) {
        switch error {
        case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c):
            return (c.codingPath, c.debugDescription)
        @unknown default:
            return ([], "\(error)")
        }
    }

    static func child(of reader: NodeReader, _ key: any CodingKey) -> NodeReader? {
        if let index = key.intValue, let items = reader.node.items {
            return items.indices.contains(index) ? NodeReader(node: items[index], file: reader.file, path: reader.path.appending(index), bag: reader.bag) : nil
        }
        return reader.node[key.stringValue].map { NodeReader(node: $0, file: reader.file, path: reader.path.appending(key.stringValue), bag: reader.bag) }
    }
}

/// The problem is in the bag already; unwind.
struct AlreadyRecorded: Error {}

private struct NodeDecoder: Decoder {
    let reader: NodeReader
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard let pairs = reader.node.pairs else {
            _ = reader.mapping(fields: [])
            throw AlreadyRecorded()
        }
        if let unknown = pairs.first(where: { Key(stringValue: $0.name) == nil }) {
            NodeReader(node: unknown.key, file: reader.file, path: reader.path.appending(unknown.name), bag: reader.bag)
                .error("unknown-field", "unknown field '\(unknown.name)'")
            throw AlreadyRecorded()
        }
        return KeyedDecodingContainer(KeyedNodeDecoder(reader: reader, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard let items = reader.list() else { throw AlreadyRecorded() }
        return UnkeyedNodeDecoder(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleNodeDecoder(reader: reader, codingPath: codingPath) }

    /// Reads a `T` at `reader`: scalars through the reader's strict accessors, anything else by its own `init(from:)`.
    static func value<T: Decodable>(_ type: T.Type, at reader: NodeReader, path: [any CodingKey] = []) throws -> T {
        func must<V>(_ value: V?) throws -> T {
            guard let value else { throw AlreadyRecorded() }
            return value as! T
        }
        if T.self == String.self { return try must(reader.string()) }
        if T.self == Bool.self { return try must(reader.bool()) }
        if T.self == Double.self { return try must(reader.number()) }
        if T.self == Float.self { return try must(reader.number(in: -Double(Float.greatestFiniteMagnitude)...Double(Float.greatestFiniteMagnitude)).map(Float.init)) }
        if let integer = T.self as? any FixedWidthInteger.Type {
            let range = Int(clamping: integer.min)...Int(clamping: integer.max)
            return try must(reader.int(in: range).flatMap { integer.init(exactly: $0) })
        }
        if let enumeration = T.self as? any (RawRepresentable & CaseIterable).Type, let value = try choice(of: enumeration, at: reader) {
            return value as! T
        }
        return try T(from: NodeDecoder(reader: reader, codingPath: path))
    }

    /// An enumeration of names is read like `NodeReader.oneOf`: a misspelt name gets a suggestion.
    private static func choice<E: RawRepresentable & CaseIterable>(of type: E.Type, at reader: NodeReader) throws -> E? {
        guard E.RawValue.self == String.self else { return nil }
        let names = E.allCases.map { $0.rawValue as! String }
        guard let name = reader.choice(among: names) else { throw AlreadyRecorded() }
        return E(rawValue: name as! E.RawValue)
    }
}

private struct KeyedNodeDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let reader: NodeReader
    let codingPath: [any CodingKey]

    var allKeys: [Key] { (reader.node.pairs ?? []).compactMap { Key(stringValue: $0.name) } }

    func contains(_ key: Key) -> Bool { reader.node[key.stringValue] != nil }

    private func child(_ key: Key) throws -> NodeReader {
        guard let value = reader.node[key.stringValue], !(value.scalar?.isNull ?? false) else {
            let present = reader.node[key.stringValue] != nil
            reader.error("missing-field", present ? "field '\(key.stringValue)' must have a value" : "missing required field '\(key.stringValue)'")
            throw AlreadyRecorded()
        }
        return NodeReader(node: value, file: reader.file, path: reader.path.appending(key.stringValue), bag: reader.bag)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let value = reader.node[key.stringValue] else { return true }
        return value.scalar?.isNull ?? false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try NodeDecoder.value(T.self, at: try child(key), path: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try NodeDecoder(reader: try child(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try NodeDecoder(reader: try child(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { NodeDecoder(reader: reader, codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder { NodeDecoder(reader: try child(key), codingPath: codingPath + [key]) }
}

private struct UnkeyedNodeDecoder: UnkeyedDecodingContainer {
    let items: [NodeReader]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(items: [NodeReader], codingPath: [any CodingKey]) {
        self.items = items
        self.codingPath = codingPath
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> (NodeReader, [any CodingKey]) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "the list has no more items"))
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], codingPath + [IndexKey(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex].node.scalar?.isNull == true else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (item, path) = try next()
        return try NodeDecoder.value(T.self, at: item, path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (item, path) = try next()
        return try NodeDecoder(reader: item, codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (item, path) = try next()
        return try NodeDecoder(reader: item, codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (item, path) = try next()
        return NodeDecoder(reader: item, codingPath: path)
    }
}

private struct SingleNodeDecoder: SingleValueDecodingContainer {
    let reader: NodeReader
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { reader.node.scalar?.isNull ?? false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try NodeDecoder.value(T.self, at: reader, path: codingPath)
    }
}
