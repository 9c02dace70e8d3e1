import Foundation
import StewardEngine
import StewardSpec

/// Recorded or synthetic metric series for `steward simulate`: rows of
/// `minute, version, metric, value, samples`, each one window that ends at
/// `minute` (minutes from the start) and lasted one `interval`. Two optional
/// columns make a window exact sufficient statistics: `events` (a rate:
/// events among `samples`) or `sd` (a mean of `samples` values with this
/// standard deviation).
enum MetricSeries {
    struct Row: Decodable {
        var minute: Double
        var version: String
        var metric: String
        var value: Double
        var samples: Int
        var events: Double?
        var sd: Double?
    }

    struct ParseError: Error, CustomStringConvertible {
        var file: String
        var line: Int
        var message: String
        var description: String { "\(file):\(line): \(message)" }
    }

    static let header = ["minute", "version", "metric", "value", "samples"]
    static let optionalColumns = ["events", "sd"]
    static let maxMinute = 100_000.0

    /// Reads a `.csv` (with that header) or a `.json` array of rows.
    static func load(_ path: String, start: Moment, interval: Double) throws -> [MetricReading] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ParseError(file: path, line: 0, message: "cannot read the file")
        }
        let rows = path.hasSuffix(".json") ? try json(data, path) : try csv(String(decoding: data, as: UTF8.self), path)
        return try rows.enumerated().map { index, row in
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

    private static func json(_ data: Data, _ path: String) throws -> [Row] {
        do {
            return try JSONDecoder().decode([Row].self, from: data)
        } catch {
            throw ParseError(file: path, line: 0, message: "expected a JSON array of {minute, version, metric, value, samples}: \(error)")
        }
    }

    private static func csv(_ text: String, _ path: String) throws -> [Row] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        let columns = lines.first?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        guard columns.starts(with: header), columns.dropFirst(header.count).allSatisfy(optionalColumns.contains) else {
            throw ParseError(file: path, line: 1, message: "the first line must be the header \(header.joined(separator: ",")), optionally followed by \(optionalColumns.joined(separator: " or "))")
        }
        return try lines.enumerated().dropFirst().compactMap { index, line in
            if line.isEmpty || line.hasPrefix("#") { return nil }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == columns.count else {
                throw ParseError(file: path, line: index + 1, message: "expected \(columns.count) fields (\(columns.joined(separator: ","))), found \(fields.count)")
            }
            guard let minute = Double(fields[0]), let value = Double(fields[3]), let samples = Int(fields[4]), samples >= 0 else {
                throw ParseError(file: path, line: index + 1, message: "minute and value must be numbers and samples a whole number ≥ 0")
            }
            var row = Row(minute: minute, version: fields[1], metric: fields[2], value: value, samples: samples)
            for (column, field) in zip(columns, fields).dropFirst(header.count) {
                guard let number = Double(field) else {
                    throw ParseError(file: path, line: index + 1, message: "\(column) must be a number, found '\(field)'")
                }
                if column == "events" { row.events = number } else { row.sd = number }
            }
            return row
        }
    }
}
