import Foundation
import StewardEngine
import StewardSpec

/// Recorded or synthetic metric series for `steward simulate`: rows of
/// `minute, version, metric, value, samples`, each one window that ends at
/// `minute` (minutes from the start) and lasted one `interval`.
enum MetricSeries {
    struct Row: Decodable {
        var minute: Double
        var version: String
        var metric: String
        var value: Double
        var samples: Int
    }

    struct ParseError: Error, CustomStringConvertible {
        var file: String
        var line: Int
        var message: String
        var description: String { "\(file):\(line): \(message)" }
    }

    static let header = ["minute", "version", "metric", "value", "samples"]

    /// Reads a `.csv` (with that header) or a `.json` array of rows.
    static func load(_ path: String, start: Moment, interval: Double) throws -> [MetricReading] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ParseError(file: path, line: 0, message: "cannot read the file")
        }
        let rows = path.hasSuffix(".json") ? try json(data, path) : try csv(String(decoding: data, as: UTF8.self), path)
        return try rows.enumerated().map { index, row in
            guard let version = SemanticVersion(row.version) else {
                throw ParseError(file: path, line: index + 2, message: "'\(row.version)' is not a semantic version")
            }
            let end = start + row.minute * 60
            return MetricReading(metric: row.metric, version: version, windowStart: end + -interval, windowEnd: end,
                               value: row.value, samples: row.samples)
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
        guard let first = lines.first, first.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) == header else {
            throw ParseError(file: path, line: 1, message: "the first line must be the header \(header.joined(separator: ","))")
        }
        return try lines.enumerated().dropFirst().compactMap { index, line in
            if line.isEmpty || line.hasPrefix("#") { return nil }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 5 else {
                throw ParseError(file: path, line: index + 1, message: "expected 5 fields (\(header.joined(separator: ","))), found \(fields.count)")
            }
            guard let minute = Double(fields[0]), let value = Double(fields[3]), let samples = Int(fields[4]), samples >= 0 else {
                throw ParseError(file: path, line: index + 1, message: "minute and value must be numbers and samples a whole number ≥ 0")
            }
            return Row(minute: minute, version: fields[1], metric: fields[2], value: value, samples: samples)
        }
    }
}
