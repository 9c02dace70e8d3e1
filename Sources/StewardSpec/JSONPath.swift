/// A path to one value in a JSON document, as the HTTP provider's
/// `jsonPath` writes it: `$.data.result[0].value`, `data.errorRate`, or
/// `$["error rate"]`. Only member names and array indexes: a path names
/// one number, it does not search.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    public enum Step: Sendable, Hashable {
        case member(String)
        case index(Int)
    }

    public var steps: [Step]
    public let description: String

    /// Reads a path; nil with `problem` set when it is not one.
    public init?(_ text: String, problem: inout String?) {
        description = text
        var rest = Substring(text.hasPrefix("$") ? text.dropFirst() : Substring(text))
        var steps: [Step] = []
        var first = !text.hasPrefix("$")
        while !rest.isEmpty {
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { problem = "a '[' is not closed"; return nil }
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                if let index = Int(inside), index >= 0 {
                    steps.append(.index(index))
                } else if inside.count >= 2, let quote = inside.first, quote == "\"" || quote == "'", inside.last == quote {
                    steps.append(.member(String(inside.dropFirst().dropLast())))
                } else {
                    problem = "[\(inside)] is neither an index (0, 1, …) nor a quoted name"
                    return nil
                }
                rest = rest[rest.index(after: close)...]
            } else {
                if rest.hasPrefix(".") { rest = rest.dropFirst() } else if !first { problem = "expected '.' or '[' before '\(rest)'"; return nil }
                let name = rest.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { problem = "a member name is empty"; return nil }
                steps.append(.member(String(name)))
                rest = rest.dropFirst(name.count)
            }
            first = false
        }
        guard !steps.isEmpty else { problem = "the path names nothing; write e.g. $.data.value"; return nil }
        self.steps = steps
    }
}
