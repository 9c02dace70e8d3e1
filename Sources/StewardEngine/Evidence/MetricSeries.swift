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
        /// The CSV line the row came from; nil for a JSON item.
        public var line: Int?

        enum CodingKeys: String, CodingKey { case minute, version, metric, value, samples, events, sd }

        public init(minute: Double, version: String, metric: String, value: Double, samples: Int, events: Double? = nil,
                    sd: Double? = nil, line: Int? = nil) {
            self.minute = minute
            self.version = version
            self.metric = metric
            self.value = value
            self.samples = samples
            self.events = events
            self.sd = sd
            self.line = line
        }
    }

    /// What a replay knows of its rollout: its metrics (whether each reads
    /// rates) and its versions. Rows that do not fit are refused, never guessed about.
    public struct Expectations: Sendable {
        public var rollout: String
        public var metricsReadingRates: [String: Bool]
        public var versions: Set<String>

        public init(rollout: String, metricsReadingRates: [String: Bool], versions: Set<String>) {
            self.rollout = rollout
            self.metricsReadingRates = metricsReadingRates
            self.versions = versions
        }
    }

    /// Refuses rows a replay would have to guess about: an `events` count
    /// that is not a count of the samples, or that disagrees with `value`; an
    /// `sd` that is not a spread; both on one row; a second row for the same
    /// window; and, with `expected`, metrics or versions the rollout does not
    /// know, `events` on a metric that is not a rate and `sd` on one that is.
    public static func check(_ rows: [Row], path: String, against expected: Expectations?) throws {
        var seen: [String: Int] = [:]
        for (index, row) in rows.enumerated() {
            func refuse(_ message: String) -> ParseError {
                ParseError(file: path, line: row.line ?? 0, message: row.line == nil ? "item \(index + 1): \(message)" : message)
            }
            if row.events != nil, row.sd != nil { throw refuse("a row has events (a rate) or sd (a mean), not both") }
            if let expected {
                guard let readsRates = expected.metricsReadingRates[row.metric] else {
                    let known = expected.metricsReadingRates.keys.sorted().joined(separator: ", ")
                    throw refuse("metric '\(row.metric)' is not in the analysis of rollout \(expected.rollout) (it has \(known))")
                }
                guard expected.versions.contains(row.version) else {
                    throw refuse("version \(row.version) is neither the stable nor the canary of rollout \(expected.rollout) (\(expected.versions.sorted().joined(separator: ", ")))")
                }
                if row.events != nil, !readsRates { throw refuse("events is for rates; metric '\(row.metric)' is not a rate") }
                if row.sd != nil, readsRates { throw refuse("sd is for means; metric '\(row.metric)' is a rate (give events)") }
            }
            let samples = Double(row.samples)
            if let events = row.events {
                guard events.isFinite, events >= 0, events <= samples, events == events.rounded() else {
                    throw refuse("events must be a whole number from 0 to samples (\(row.samples)), found \(events)")
                }
                if samples > 0, abs(row.value * samples - events) > max(0.5, 1e-6 * events) {
                    throw refuse("value \(row.value) disagrees with events/samples = \(Verdict.format(events / samples)); give one or make them agree")
                }
            }
            if let sd = row.sd, !(sd.isFinite && sd >= 0) {
                throw refuse("sd must be a number ≥ 0, found \(sd)")
            }
            let key = "\(row.minute)|\(row.version)|\(row.metric)"
            if let first = seen[key] {
                let there = rows[first].line.map { "line \($0)" } ?? "item \(first + 1)"
                throw refuse("a second row for minute \(Verdict.format(row.minute)), version \(row.version), metric \(row.metric) (the first is at \(there))")
            }
            seen[key] = index
        }
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
                throw ParseError(file: path, line: row.line ?? 0, message: "minute must be a number from 0 to \(Int(maxMinute)) (about 70 days), found \(row.minute)")
            }
            guard let version = SemanticVersion(row.version) else {
                throw ParseError(file: path, line: row.line ?? 0, message: "'\(row.version)' is not a semantic version")
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
        guard columns.starts(with: header), columns.dropFirst(header.count).allSatisfy(optionalColumns.contains),
              Set(columns).count == columns.count else {
            throw ParseError(file: path, line: 1, message: "the first line must be the header \(header.joined(separator: ",")), optionally followed by \(optionalColumns.joined(separator: " or ")), each column once")
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
            var row = Row(minute: minute, version: fields[1], metric: fields[2], value: value, samples: samples, line: index + 1)
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
