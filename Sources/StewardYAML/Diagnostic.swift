/// A problem found in the desired state, with its place and, where it
/// concerns one field, that field's path (`spec.versions[2].status`).
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable {
        case error, warning
    }

    public var severity: Severity
    /// A stable identifier of the rule, e.g. `unknown-field`.
    public var code: String
    public var message: String
    public var file: String
    public var line: Int
    public var column: Int
    public var path: String?

    public init(_ severity: Severity, code: String, _ message: String,
                file: String, line: Int, column: Int, path: String? = nil) {
        self.severity = severity
        self.code = code
        self.message = Self.shortened(message)
        self.file = file
        self.line = line
        self.column = column
        self.path = path
    }

    public init(_ severity: Severity, code: String, _ message: String,
                file: String, at position: SourcePosition, path: String? = nil) {
        self.init(severity, code: code, message, file: file, line: position.line, column: position.column, path: path)
    }

    /// Messages quote values from the input, and a value may be a 10 MB
    /// line: past this many characters the middle of a message is left out.
    public static let maxMessageLength = 500

    static func shortened(_ message: String) -> String {
        guard message.count > maxMessageLength else { return message }
        let head = message.prefix(maxMessageLength - 100), tail = message.suffix(60)
        return "\(head) … (\(message.count - head.count - tail.count) characters left out) … \(tail)"
    }

    /// A YAML syntax error as a diagnostic.
    public init(_ error: YAMLError) {
        self.init(.error, code: "yaml-syntax", error.message, file: error.file, at: error.position)
    }

    /// Compiler style: `file:line:col: error: message`.
    public var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }

    /// Orders by file, then place, then message, so output is stable.
    public static func sourceOrder(_ a: Diagnostic, _ b: Diagnostic) -> Bool {
        (a.file, a.line, a.column, a.message) < (b.file, b.line, b.column, b.message)
    }
}

/// Collects diagnostics while a tree is decoded, so that every problem in a
/// file is reported at once rather than only the first.
public final class DiagnosticBag: @unchecked Sendable {
    // Used from one thread at a time: one bag per load.
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public func add(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}
