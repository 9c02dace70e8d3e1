import Foundation
import StewardEngine
import StewardSpec

extension MetricSeries {
    /// Reads a `.csv` (with the header) or a `.json` array of rows.
    static func load(_ path: String, start: Moment, interval: Double, expected: Expectations? = nil) throws -> [MetricReading] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ParseError(file: path, line: 0, message: "cannot read the file")
        }
        let rows = path.hasSuffix(".json") ? try json(data, path) : try csv(String(decoding: data, as: UTF8.self), path)
        try check(rows, path: path, against: expected)
        return try readings(rows, path: path, start: start, interval: interval)
    }

    static func json(_ data: Data, _ path: String) throws -> [Row] {
        do {
            return try JSONDecoder().decode([Row].self, from: data)
        } catch let error as DecodingError {
            throw ParseError(file: path, line: 0, message: describe(error))
        } catch {
            throw ParseError(file: path, line: 0, message: "not valid JSON: \(error)")
        }
    }

    /// Valid JSON of the wrong shape says which item and field; invalid JSON says so.
    static func describe(_ error: DecodingError) -> String {
        func place(_ path: [any CodingKey]) -> String {
            let parts = path.map { $0.intValue.map { "item \($0 + 1)" } ?? "'\($0.stringValue)'" }
            return parts.isEmpty ? "the document" : parts.joined(separator: ", ")
        }
        let expected = "expected a JSON array of {minute, version, metric, value, samples[, events, sd]}"
        switch error {
        case .keyNotFound(let key, let context):
            return "\(place(context.codingPath)): the field '\(key.stringValue)' is missing; \(expected)"
        case .typeMismatch(_, let context) where context.codingPath.isEmpty:
            return "the document is not an array; \(expected)"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "\(place(context.codingPath)): expected \(type == String.self ? "a string" : "a number"); \(expected)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON (\(context.debugDescription))" : "\(place(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
