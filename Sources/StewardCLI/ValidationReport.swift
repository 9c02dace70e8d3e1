import ArgumentParser
import Foundation
import StewardSpec
import StewardYAML

/// The output formats of `steward validate`.
public enum ReportFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case text, json, github, markdown
}

/// Renders a load result for people, for programs, or for a CI system.
public struct ValidationReport: Sendable {
    public let result: LoadResult

    public init(result: LoadResult) {
        self.result = result
    }

    public func render(_ format: ReportFormat) -> String {
        switch format {
        case .text: text()
        case .json: json()
        case .github: github()
        case .markdown: markdown()
        }
    }

    private var errors: Int { result.diagnostics.count { $0.severity == .error } }
    private var warnings: Int { result.diagnostics.count { $0.severity == .warning } }

    private var summary: String {
        let files = plural(result.files.count, "file")
        if result.diagnostics.isEmpty {
            return "\(plural(result.state.count, "resource")) in \(files), no problems"
        }
        return "\(plural(errors, "error")), \(plural(warnings, "warning")) in \(files)"
    }

    /// Compiler style, one problem a line, then a summary.
    func text() -> String {
        result.diagnostics.map { terminalSafe("\($0)") + "\n" }.joined() + summary + "\n"
    }

    /// The stable JSON shape documented in the README (`"schema": 1`).
    func json() -> String {
        struct Output: Encodable {
            struct Summary: Encodable {
                var files: Int, resources: Int, errors: Int, warnings: Int
            }
            var schema = 1
            var valid: Bool
            var summary: Summary
            var diagnostics: [Diagnostic]
        }
        let output = Output(
            valid: result.isValid,
            summary: .init(files: result.files.count, resources: result.state.count, errors: errors, warnings: warnings),
            diagnostics: result.diagnostics)
        return prettyJSON(output)
    }

    /// GitHub Actions workflow commands, which annotate the pull request's diff.
    func github() -> String {
        result.diagnostics.map { d in
            let properties = [
                "file=\(Self.escapeProperty(d.file))", "line=\(d.line)", "col=\(d.column)",
                "title=\(Self.escapeProperty("steward: \(d.code)"))",
            ].joined(separator: ",")
            return "::\(d.severity.rawValue) \(properties)::\(Self.escapeData(d.message))\n"
        }.joined()
    }

    /// A summary fit for a pull-request comment.
    func markdown() -> String {
        guard !result.diagnostics.isEmpty else {
            return "### ✅ steward validate\n\n\(summary).\n"
        }
        var out = "### \(errors > 0 ? "❌" : "⚠️") steward validate\n\n\(summary).\n\n"
        out += "| Severity | Location | Problem |\n|---|---|---|\n"
        for d in result.diagnostics {
            out += "| \(d.severity.rawValue) | \(markdownCode("\(d.file):\(d.line):\(d.column)")) | \(markdownCell(d.message)) (`\(d.code)`) |\n"
        }
        return out
    }

    static func escapeData(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25")
            .replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    static func escapeProperty(_ text: String) -> String {
        escapeData(text)
            .replacingOccurrences(of: ":", with: "%3A")
            .replacingOccurrences(of: ",", with: "%2C")
    }

    private func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
}

/// Loads a desired state that commands act on: a directory that cannot be
/// read exits with `unreadable`; one that does not validate prints its
/// diagnostics and exits 1.
func loadValid(directory: String, paths: [String] = ["."], excluding: (String) -> Bool = { _ in false },
               unreadable: Int32) throws -> DesiredState {
    let loaded: LoadResult
    do {
        loaded = try DesiredStateLoader().load(directory: directory, paths: paths, excluding: excluding)
    } catch {
        printError("steward: error: \(error)")
        throw ExitCode(unreadable)
    }
    guard loaded.isValid else {
        print(ValidationReport(result: loaded).render(.text), terminator: "")
        throw ExitCode(1)
    }
    return loaded.state
}

/// Prints to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
