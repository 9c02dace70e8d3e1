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
            throw ParseError(file: path, line: 0, message: describeDecoding([Row].self, data, error, expected: expectedShape, document: "an array"))
        } catch {
            throw ParseError(file: path, line: 0, message: "not valid JSON: \(error)")
        }
    }

    /// Valid JSON of the wrong shape says which item and field; invalid JSON says so.
    static let expectedShape = "expected a JSON array of {minute, version, metric, value, samples[, events, sd]}"
}
