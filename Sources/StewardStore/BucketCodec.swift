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

    /// The tally's numbers, in the order of `columns` (all but the latency).
    static func numbers(_ t: OutcomeTally) -> [Double] {
        [t.requests, t.errors, t.hallucinationChecks, t.hallucinations, t.safetyChecks, t.safetyViolations,
         t.rating.count, t.rating.sum, t.rating.sumOfSquares, t.cost.count, t.cost.sum, t.cost.sumOfSquares,
         t.tokens.count, t.tokens.sum, t.tokens.sumOfSquares]
    }

    /// A tally from its numbers (in the order of `columns`) and its latency blob.
    static func tally(numbers n: [Double], latency: Data?) -> OutcomeTally {
        var t = OutcomeTally()
        t.requests = .init(n[0])
        t.errors = .init(n[1])
        t.hallucinationChecks = .init(n[2])
        t.hallucinations = .init(n[3])
        t.safetyChecks = .init(n[4])
        t.safetyViolations = .init(n[5])
        t.rating = .init(count: .init(n[6]), sum: n[7], sumOfSquares: n[8])
        t.cost = .init(count: .init(n[9]), sum: n[10], sumOfSquares: n[11])
        t.tokens = .init(count: .init(n[12]), sum: n[13], sumOfSquares: n[14])
        if let latency { t.latency = histogram(latency) }
        return t
    }

    static func values(_ t: OutcomeTally) -> [(any DatabaseValueConvertible)?] {
        numbers(t) + [latencyBlob(t.latency)]
    }

    static func tally(from row: Row) -> OutcomeTally {
        tally(numbers: columns.dropLast().map { row[$0] ?? 0 }, latency: row["latency"])
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
