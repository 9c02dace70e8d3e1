/// Writes an `Encodable` value as block-style YAML, which `YAMLDecoder` (or
/// any YAML 1.2 reader) reads back to the same value.
///
/// Strings are always double-quoted, so that no value is read back as
/// anything but text (`"no"`, `"2.10"`); keys are plain where they can be.
/// Numbers must be finite: YAML's `.inf` and `.nan` are refused by Steward's
/// readers, so the encoder refuses them too rather than write a file that
/// cannot be read back. A nil optional is left out.
public struct YAMLEncoder: Sendable {
    public init() {}

    /// The YAML text of `value`, ending with a newline.
    public func encode<T: Encodable>(_ value: T) throws -> String {
        let root = EncodedNode()
        try value.encode(to: TreeEncoder(node: root, codingPath: []))
        var lines: [String] = []
        switch root.content {
        case .map(let entries) where !entries.isEmpty: Self.writeEntries(entries, indent: "", into: &lines)
        case .list(let items) where !items.isEmpty: Self.writeItems(items, indent: "", into: &lines)
        default: lines.append(root.inline)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func writeEntries(_ entries: [(key: String, node: EncodedNode)], indent: String, into lines: inout [String]) {
        for (key, node) in entries {
            let key = ScalarWriter.isPlainSafe(key) ? key : ScalarWriter.doubleQuoted(key)
            switch node.content {
            case .map(let inner) where !inner.isEmpty:
                lines.append("\(indent)\(key):")
                writeEntries(inner, indent: indent + "  ", into: &lines)
            case .list(let items) where !items.isEmpty:
                lines.append("\(indent)\(key):")
                writeItems(items, indent: indent + "  ", into: &lines)
            default:
                lines.append("\(indent)\(key): \(node.inline)")
            }
        }
    }

    private static func writeItems(_ items: [EncodedNode], indent: String, into lines: inout [String]) {
        for item in items {
            switch item.content {
            case .map(let entries) where !entries.isEmpty:
                // The first entry shares the dash's line; the rest line up under it.
                var nested: [String] = []
                writeEntries(entries, indent: indent + "  ", into: &nested)
                lines.append(indent + "- " + nested[0].dropFirst(indent.count + 2))
                lines += nested.dropFirst()
            case .list(let inner) where !inner.isEmpty:
                lines.append(indent + "-")
                writeItems(inner, indent: indent + "  ", into: &lines)
            default:
                lines.append("\(indent)- \(item.inline)")
            }
        }
    }
}

/// The value being built: containers are filled after they are handed out,
/// so nodes are shared references.
final class EncodedNode {
    enum Content {
        case unset
        case scalar(String)
        case map([(key: String, node: EncodedNode)])
        case list([EncodedNode])
    }

    var content = Content.unset

    /// How the node reads on one line: scalars, and empty collections.
    var inline: String {
        switch content {
        case .unset: "null"
        case .scalar(let text): text
        case .map: "{}"
        case .list: "[]"
        }
    }
}

private struct TreeEncoder: Encoder {
    let node: EncodedNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .map = node.content {} else { node.content = .map([]) }
        return KeyedEncodingContainer(KeyedTreeEncoder(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .list = node.content {} else { node.content = .list([]) }
        return UnkeyedTreeEncoder(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleTreeEncoder(node: node, codingPath: codingPath) }

    /// Encodes `value` into `node`: scalars directly, anything else by its own `encode(to:)`.
    static func encode<T: Encodable>(_ value: T, into node: EncodedNode, at path: [any CodingKey]) throws {
        switch value {
        case let text as String: node.content = .scalar(ScalarWriter.doubleQuoted(text))
        case let flag as Bool: node.content = .scalar(flag ? "true" : "false")
        case let number as Double:
            guard number.isFinite else {
                throw EncodingError.invalidValue(number, .init(codingPath: path, debugDescription: "YAML here holds finite numbers only"))
            }
            node.content = .scalar(ScalarSyntax.format(number))
        case let number as Float: try encode(Double(number), into: node, at: path)
        case let integer as any BinaryInteger: node.content = .scalar(String(describing: integer))
        default: try value.encode(to: TreeEncoder(node: node, codingPath: path))
        }
    }
}

private struct KeyedTreeEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodedNode
    let codingPath: [any CodingKey]

    private func add(_ key: Key) -> EncodedNode {
        let child = EncodedNode()
        if case .map(var entries) = node.content {
            entries.removeAll { $0.key == key.stringValue }
            entries.append((key.stringValue, child))
            node.content = .map(entries)
        }
        return child
    }

    mutating func encodeNil(forKey key: Key) throws { add(key).content = .scalar("null") }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try TreeEncoder.encode(value, into: add(key), at: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        TreeEncoder(node: add(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        TreeEncoder(node: add(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { TreeEncoder(node: node, codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { TreeEncoder(node: add(key), codingPath: codingPath + [key]) }
}

private struct UnkeyedTreeEncoder: UnkeyedEncodingContainer {
    let node: EncodedNode
    let codingPath: [any CodingKey]

    var count: Int {
        if case .list(let items) = node.content { return items.count }
        return 0
    }

    private func add() -> EncodedNode {
        let child = EncodedNode()
        if case .list(let items) = node.content { node.content = .list(items + [child]) }
        return child
    }

    private var nextPath: [any CodingKey] { codingPath + [IndexKey(count)] }

    mutating func encodeNil() throws { add().content = .scalar("null") }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try TreeEncoder.encode(value, into: add(), at: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = nextPath
        return TreeEncoder(node: add(), codingPath: path).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        return TreeEncoder(node: add(), codingPath: path).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return TreeEncoder(node: add(), codingPath: path)
    }
}

private struct SingleTreeEncoder: SingleValueEncodingContainer {
    let node: EncodedNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.content = .scalar("null") }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try TreeEncoder.encode(value, into: node, at: codingPath)
    }
}

/// The position of an item in a list, as a coding key.
struct IndexKey: CodingKey {
    var stringValue: String { String(intValue!) }
    var intValue: Int?
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}
