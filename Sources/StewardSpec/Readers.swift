import StewardYAML

/// Readers for the value types the kinds share.
extension NodeReader {
    /// A semantic version such as `2.3.1`.
    public func semanticVersion() -> SemanticVersion? {
        guard let text = string() else { return nil }
        if let version = SemanticVersion(text) { return version }
        if text.first == "v" || text.first == "V", SemanticVersion(String(text.dropFirst())) != nil {
            error("invalid-version", "\(fieldName): write '\(text.dropFirst())' without the leading '\(text.first!)'")
        } else {
            error("invalid-version", "\(fieldName): '\(text)' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 2.3.1)")
        }
        return nil
    }

    /// A duration such as `30s`, `5m`, `1h30m` or `7d`.
    public func duration() -> StewardDuration? {
        guard let text = string() else { return nil }
        guard let duration = StewardDuration(text) else {
            error("invalid-duration", "\(fieldName): '\(text)' is not a duration; write e.g. 500ms, 30s, 5m, 1h30m or 7d")
            return nil
        }
        return duration
    }

    /// A resource name: lower-case letters, digits, '-' and '.', at most 253
    /// characters, starting and ending with a letter or digit.
    public func resourceName() -> String? {
        guard let text = string() else { return nil }
        let allowed = text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "." }
        guard allowed, !text.isEmpty, text.count <= 253,
              text.first!.isLetter || text.first!.isNumber,
              text.last!.isLetter || text.last!.isNumber else {
            error("invalid-name", "\(fieldName): '\(text)' is not a valid name (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)")
            return nil
        }
        return text
    }

    /// A list of resource names.
    public func resourceNames() -> [String]? { list { $0.resourceName() } }
}

/// A resource's `metadata`.
public struct Metadata: Sendable, Hashable {
    public var name: String
    public var labels: [String: String]
    public var annotations: [String: String]

    static let fields = ["name", "labels", "annotations"]

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: Self.fields) else { return nil }
        let labels = Self.stringMap(m.optional("labels"))
        let annotations = Self.stringMap(m.optional("annotations"))
        guard let name = m.required("name")?.resourceName() else { return nil }
        self.name = name
        self.labels = labels
        self.annotations = annotations
    }

    private static func stringMap(_ r: NodeReader?) -> [String: String] {
        var map: [String: String] = [:]
        for (key, value) in r?.entries() ?? [] { map[key] = value.string() }
        return map
    }
}
