/// A length of time written as `500ms`, `30s`, `5m`, `1h30m` or `7d`.
public struct StewardDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Double

    public init(seconds: Double) { self.seconds = seconds }

    /// The longest duration written in a manifest: a hundred years.
    public static let longest = 100 * 365.25 * 86400.0

    private static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800),
    ]

    /// Parses a sequence of number-unit parts; nil when `text` is not one.
    public init?(_ text: String) {
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCIIDigit || $0 == "." }
            guard let amount = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isLetter }
            guard let scale = Self.units.first(where: { $0.suffix == unit })?.seconds else { return nil }
            rest = rest.dropFirst(unit.count)
            total += amount * scale
        }
        // Past a hundred years a duration is a typo, and past Int.max seconds it would trap where it is shown.
        guard total.isFinite, total <= Self.longest else { return nil }
        self.seconds = total
    }

    public var description: String {
        guard seconds.isFinite, seconds < 1e15 else { return "∞" }
        var remaining = Int(seconds.rounded())
        guard remaining > 0 else { return seconds == 0 ? "0s" : "\(Int((seconds * 1000).rounded()))ms" }
        var text = ""
        for (suffix, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] where remaining >= size {
            text += "\(remaining / size)\(suffix)"
            remaining %= size
        }
        return text
    }

    public static func < (a: StewardDuration, b: StewardDuration) -> Bool { a.seconds < b.seconds }
}
