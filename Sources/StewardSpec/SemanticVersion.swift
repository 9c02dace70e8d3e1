/// A semantic version, `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]` (semver 2.0).
///
/// For models, MAJOR is a change of model family, MINOR a new base model or
/// adapter, PATCH a prompt or parameter tweak.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int
    public var prerelease: [String]
    public var build: [String]

    public init(_ major: Int, _ minor: Int, _ patch: Int, prerelease: [String] = [], build: [String] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    /// Parses `text`; nil when it is not a semantic version.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        let plus = bytes.firstIndex(of: UInt8(ascii: "+")) ?? bytes.endIndex
        let dash = bytes[..<plus].firstIndex(of: UInt8(ascii: "-")) ?? plus
        let core = bytes[..<dash].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard core.count == 3 else { return nil }
        var numbers: [Int] = []
        for part in core {
            guard Self.isNumeric(part), !Self.hasLeadingZero(part), part.count <= 18 else { return nil }
            numbers.append(part.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
        }
        let prerelease = dash < plus ? Self.identifiers(bytes[(dash + 1)..<plus]) : []
        let build = plus < bytes.endIndex ? Self.identifiers(bytes[(plus + 1)...]) : []
        guard let prerelease, let build,
              prerelease.allSatisfy({ !Self.hasLeadingZero($0.utf8) }) else { return nil }
        self.init(numbers[0], numbers[1], numbers[2], prerelease: prerelease, build: build)
    }

    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.joined(separator: ".") }
        if !build.isEmpty { text += "+" + build.joined(separator: ".") }
        return text
    }

    /// Precedence as semver defines it; build metadata is ignored.
    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) {
            return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
        }
        if a.prerelease.isEmpty || b.prerelease.isEmpty { return !a.prerelease.isEmpty && b.prerelease.isEmpty }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            switch (Int(x), Int(y)) {
            case let (i?, j?): return i < j
            case (.some, nil): return true
            case (nil, .some): return false
            default: return x < y
            }
        }
        return a.prerelease.count < b.prerelease.count
    }

    /// Dot-separated identifiers of `[0-9A-Za-z-]`, none empty; nil otherwise.
    private static func identifiers(_ bytes: ArraySlice<UInt8>) -> [String]? {
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isIdentifierByte) }) else { return nil }
        return parts.map { String(decoding: $0, as: UTF8.self) }
    }

    private static func isIdentifierByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z"))
            || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || b == UInt8(ascii: "-")
    }

    private static func isNumeric<C: Collection<UInt8>>(_ part: C) -> Bool {
        !part.isEmpty && part.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    private static func hasLeadingZero<C: Collection<UInt8>>(_ part: C) -> Bool {
        part.count > 1 && part.first == UInt8(ascii: "0") && isNumeric(part)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// A version is written as its text, `2.4.0`.
extension SemanticVersion: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let version = SemanticVersion(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a semantic version (MAJOR.MINOR.PATCH)")
        }
        self = version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
