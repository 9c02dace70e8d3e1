import Foundation
import GRDB
import StewardEngine

/// How a tally is laid out in a row of `outcome_bucket`; the latency
/// histogram is a blob of (milliseconds, count) pairs, little-endian UInt64s.
enum BucketCodec {
    static let columns = [
        "requests", "errors", "hallucination_checks", "hallucinations", "safety_checks", "safety_violations",
        "rating_count", "rating_sum", "rating_squares", "cost_count", "cost_sum", "cost_squares",
        "tokens_count", "tokens_sum", "tokens_squares", "latency",
    ]

    static func values(_ t: OutcomeTally) -> [(any DatabaseValueConvertible)?] {
        [t.requests, t.errors, t.hallucinationChecks, t.hallucinations, t.safetyChecks, t.safetyViolations,
         t.rating.count, t.rating.sum, t.rating.sumOfSquares, t.cost.count, t.cost.sum, t.cost.sumOfSquares,
         t.tokens.count, t.tokens.sum, t.tokens.sumOfSquares, latencyBlob(t.latency)]
    }

    static func tally(from row: Row) -> OutcomeTally {
        var t = OutcomeTally()
        t.requests = row["requests"]
        t.errors = row["errors"]
        t.hallucinationChecks = row["hallucination_checks"]
        t.hallucinations = row["hallucinations"]
        t.safetyChecks = row["safety_checks"]
        t.safetyViolations = row["safety_violations"]
        t.rating = .init(count: row["rating_count"], sum: row["rating_sum"], sumOfSquares: row["rating_squares"])
        t.cost = .init(count: row["cost_count"], sum: row["cost_sum"], sumOfSquares: row["cost_squares"])
        t.tokens = .init(count: row["tokens_count"], sum: row["tokens_sum"], sumOfSquares: row["tokens_squares"])
        if let blob: Data = row["latency"] { t.latency = histogram(blob) }
        return t
    }

    static func latencyBlob(_ histogram: LatencyHistogram) -> Data {
        var data = Data()
        for (value, count) in histogram.recordedCounts() {
            withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
            withUnsafeBytes(of: count.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func histogram(_ blob: Data) -> LatencyHistogram {
        var histogram = LatencyHistogram()
        let bytes = [UInt8](blob)
        var offset = 0
        func next() -> UInt64 {
            var value: UInt64 = 0
            for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
            offset += 8
            return value
        }
        while offset + 16 <= bytes.count {
            let value = next(), count = next()
            histogram.record(milliseconds: Double(value), count: count)
        }
        return histogram
    }
}
