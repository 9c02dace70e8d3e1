/// How Steward reads plain scalars: YAML 1.2's core schema, strictly.
enum ScalarSyntax {
    static let yaml11Booleans: Set<String> = ["yes", "no", "y", "n", "on", "off"]

    static func isDecimalInteger(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if let sign = bytes.first, sign == plus || sign == minus { bytes = bytes.dropFirst() }
        return !bytes.isEmpty && bytes.allSatisfy(isDigit)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func isDecimalNumber(_ text: String) -> Bool {
        var rest = Substring(text).utf8[...]
        if let sign = rest.first, sign == plus || sign == minus { rest = rest.dropFirst() }
        let integer = rest.prefix(while: isDigit).count
        rest = rest.dropFirst(integer)
        var fraction = 0
        if rest.first == dot {
            rest = rest.dropFirst()
            fraction = rest.prefix(while: isDigit).count
            rest = rest.dropFirst(fraction)
        }
        guard integer + fraction > 0 else { return false }
        if let e = rest.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            rest = rest.dropFirst()
            if let sign = rest.first, sign == plus || sign == minus { rest = rest.dropFirst() }
            let exponent = rest.prefix(while: isDigit).count
            guard exponent > 0 else { return false }
            rest = rest.dropFirst(exponent)
        }
        return rest.isEmpty
    }

    /// Why a number with a leading zero is refused, or nil.
    static func leadingZeroProblem(_ text: String) -> String? {
        var bytes = Substring(text).utf8[...]
        if let sign = bytes.first, sign == plus || sign == minus { bytes = bytes.dropFirst() }
        guard bytes.first == zero, let second = bytes.dropFirst().first, isDigit(second) else { return nil }
        return "'\(text)' has a leading zero, which YAML 1.1 reads as octal; write it without the zero, or quote it"
    }

    private static let plus = UInt8(ascii: "+"), minus = UInt8(ascii: "-"), dot = UInt8(ascii: "."), zero = UInt8(ascii: "0")
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
