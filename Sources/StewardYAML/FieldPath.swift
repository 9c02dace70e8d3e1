/// Where a value sits in a document: `spec.versions[2].parameters.topP`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    public init(arrayLiteral elements: Component...) { components = elements }

    /// This path, then `key`.
    public func appending(_ key: String) -> FieldPath { FieldPath(components + [.key(key)]) }
    /// This path, then item `index`.
    public func appending(_ index: Int) -> FieldPath { FieldPath(components + [.index(index)]) }

    public var description: String {
        var out = ""
        for component in components {
            switch component {
            case .key(let key): out += out.isEmpty ? key : ".\(key)"
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }
}

extension YAMLNode {
    /// The node at `path` below this one, if there is one.
    public func node(at path: FieldPath) -> YAMLNode? {
        var node = self
        for component in path.components {
            switch component {
            case .key(let key):
                guard let next = node[key] else { return nil }
                node = next
            case .index(let i):
                guard let items = node.items, items.indices.contains(i) else { return nil }
                node = items[i]
            }
        }
        return node
    }

    /// The mapping entry whose value sits at `path` (its last component must be a key).
    public func pair(at path: FieldPath) -> Pair? {
        guard case .key(let key)? = path.components.last,
              let parent = node(at: FieldPath(Array(path.components.dropLast()))) else { return nil }
        return parent.pairs?.first { $0.name == key }
    }
}

extension FieldPath.Component: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .key(value) }
    public init(integerLiteral value: Int) { self = .index(value) }
}
