import Foundation
import Logging
import StewardYAML

/// One-line structured records on standard output (journald keeps them):
/// `time level message key=value …`.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level, message = event.message
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote("\($0.value)"))" }.joined(separator: " ")
        let line = "\(Date().formatted(.iso8601)) \(level) \(Self.quote("\(message)"))\(fields.isEmpty ? "" : " " + fields)\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }

    /// Values with spaces, quotes or control characters are YAML-style
    /// double-quoted (StewardYAML's writer), so one record stays one line.
    static func quote(_ text: String) -> String {
        let plain = !text.isEmpty && !text.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline || $0.asciiValue.map { $0 < 32 } == true }
        return plain ? text : ScalarWriter.doubleQuoted(text)
    }
}
