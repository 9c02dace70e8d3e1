import StewardSpec

/// Recorded or synthetic metric series for `steward simulate`: rows of
/// `minute, version, metric, value, samples`, each one window that ends at
/// `minute` (minutes from the start) and lasted one `interval`. Two optional
/// columns make a window exact sufficient statistics: `events` (a rate:
/// events among `samples`) or `sd` (a mean of `samples` values with this
/// standard deviation); a row may leave them empty.
public enum MetricSeries {
    /// One window of one metric of one version.
    public struct Row: Decodable, Sendable {
        public var minute: Double
        public var version: String
        public var metric: String
        public var value: Double
        public var samples: Int
        public var events: Double?
        public var sd: Double?
    }

    /// A row that cannot be read, with its file and line.
    public struct ParseError: Error, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public init(file: String, line: Int, message: String) {
            self.file = file
            self.line = line
            self.message = message
        }
        /// `file:line: message`, or `file: message` where no line is known (line 0: a JSON document).
        public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
    }

    static let header = ["minute", "version", "metric", "value", "samples"]
    static let optionalColumns = ["events", "sd"]
    static let maxMinute = 100_000.0

    /// The readings the rows describe, each row a window that ends at its
    /// minute and lasted `interval` seconds.
    public static func readings(_ rows: [Row], path: String, start: Moment, interval: Double) throws -> [MetricReading] {
        try rows.enumerated().map { index, row in
            // The virtual clock runs minute by minute up to the last row: keep it finite and bounded.
            guard row.minute.isFinite, (0...maxMinute).contains(row.minute) else {
                throw ParseError(file: path, line: index + 2, message: "minute must be a number from 0 to \(Int(maxMinute)) (about 70 days), found \(row.minute)")
            }
            guard let version = SemanticVersion(row.version) else {
                throw ParseError(file: path, line: index + 2, message: "'\(row.version)' is not a semantic version")
            }
            let end = start + row.minute * 60
            guard let events = row.events else {
                return MetricReading(metric: row.metric, version: version, windowStart: end + -interval, windowEnd: end,
                                     value: row.value, samples: row.samples, standardDeviation: row.sd)
            }
            return MetricReading(metric: row.metric, version: version, windowStart: end + -interval, windowEnd: end,
                                 statistics: .rate(events: events, trials: Double(row.samples)))
        }
    }

    /// The rows of a CSV text with the header.
    public static func csv(_ text: String, _ path: String) throws -> [Row] {
        // A byte-order mark and CRLF or CR line ends are a spreadsheet's habit, not an error.
        let text = text.hasPrefix("\u{FEFF}") ? Substring(text.dropFirst()) : Substring(text)
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(Self.trimmed)
        while lines.last?.isEmpty == true { lines.removeLast() }
        let columns = lines.first?.split(separator: ",").map(Self.trimmed) ?? []
        guard columns.starts(with: header), columns.dropFirst(header.count).allSatisfy(optionalColumns.contains) else {
            throw ParseError(file: path, line: 1, message: "the first line must be the header \(header.joined(separator: ",")), optionally followed by \(optionalColumns.joined(separator: " or "))")
        }
        return try lines.enumerated().dropFirst().compactMap { index, line in
            if line.isEmpty || line.hasPrefix("#") { return nil }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(Self.trimmed)
            guard fields.count == columns.count else {
                throw ParseError(file: path, line: index + 1, message: "expected \(columns.count) fields (\(columns.joined(separator: ","))), found \(fields.count)")
            }
            guard let minute = Double(fields[0]), let value = Double(fields[3]), let samples = Int(fields[4]), samples >= 0 else {
                throw ParseError(file: path, line: index + 1, message: "minute and value must be numbers and samples a whole number ≥ 0")
            }
            var row = Row(minute: minute, version: fields[1], metric: fields[2], value: value, samples: samples)
            // An empty optional cell means the row does without it: one file may hold rate, mean and plain rows.
            for (column, field) in zip(columns, fields).dropFirst(header.count) where !field.isEmpty {
                guard let number = Double(field) else {
                    throw ParseError(file: path, line: index + 1, message: "\(column) must be a number, found '\(field)'")
                }
                if column == "events" { row.events = number } else { row.sd = number }
            }
            return row
        }
    }

    static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
