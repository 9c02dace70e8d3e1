import Foundation
import StewardStore

/// A `POST /v1/outcomes` body: `{"outcomes": [...]}`, decoded in one pass.
/// Each malformed item is rejected with its index and reason; the good ones are kept.
struct OutcomeBatch: Decodable {
    var accepted: [Outcome] = []
    var rejected: [(index: Int, reason: String)] = []

    private enum Keys: String, CodingKey { case outcomes }

    init(from decoder: any Decoder) throws {
        let now = decoder.userInfo[Self.nowKey] as? Double
        var items = try decoder.container(keyedBy: Keys.self).nestedUnkeyedContainer(forKey: .outcomes)
        while !items.isAtEnd {
            let index = items.currentIndex
            let item = try items.decode(Item.self)
            switch item.result {
            case .success(let outcome):
                if let problem = outcome.problem(now: now) {
                    rejected.append((index, problem))
                } else {
                    accepted.append(outcome)
                }
            case .failure(let problem): rejected.append((index, problem.reason))
            }
        }
    }

    /// The receiver's clock (seconds since 1970), for the clock-skew check.
    static let nowKey = CodingUserInfoKey(rawValue: "now")!

    /// Nil when the body is not a JSON object with an `outcomes` array.
    /// Times more than a day ahead of `now` are refused per item.
    init?(json: Data, now: Double? = nil) {
        let decoder = JSONDecoder()
        if let now { decoder.userInfo[Self.nowKey] = now }
        guard let batch = try? decoder.decode(OutcomeBatch.self, from: json) else { return nil }
        self = batch
    }

    struct Problem: Error { var reason: String }

    /// One item; never fails to decode, so one bad item does not sink the batch.
    private struct Item: Decodable {
        var result: Result<Outcome, Problem>

        private enum Field: String, CodingKey {
            case model, version, time, latencyMs, ok, inputTokens, outputTokens, cost, rating, hallucination, safetyViolation
        }

        init(from decoder: any Decoder) {
            do {
                let c = try decoder.container(keyedBy: Field.self)
                let time: Double
                if let text = try? c.decode(String.self, forKey: .time) {
                    guard let seconds = ISOTime.seconds(text) else {
                        throw Problem(reason: "time: '\(text.prefix(40))' is not an ISO 8601 time such as 2026-11-22T10:00:00Z")
                    }
                    time = seconds
                } else {
                    time = try c.decode(Double.self, forKey: .time)
                }
                let outcome = Outcome(
                    model: try c.decode(String.self, forKey: .model), version: try c.decode(String.self, forKey: .version), time: time,
                    latencyMs: try c.decode(Double.self, forKey: .latencyMs), ok: try c.decode(Bool.self, forKey: .ok),
                    inputTokens: try c.decodeIfPresent(Double.self, forKey: .inputTokens),
                    outputTokens: try c.decodeIfPresent(Double.self, forKey: .outputTokens),
                    cost: try c.decodeIfPresent(Double.self, forKey: .cost), rating: try c.decodeIfPresent(Double.self, forKey: .rating),
                    hallucination: try c.decodeIfPresent(Bool.self, forKey: .hallucination),
                    safetyViolation: try c.decodeIfPresent(Bool.self, forKey: .safetyViolation))
                if let problem = outcome.problem { throw Problem(reason: problem) }
                result = .success(outcome)
            } catch let problem as Problem {
                result = .failure(problem)
            } catch DecodingError.keyNotFound(let key, _) {
                result = .failure(Problem(reason: "missing field '\(key.stringValue)'"))
            } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
                // A failure at the item itself (an index, not a field) means it is not an object.
                let field = context.codingPath.last.flatMap { $0.intValue == nil ? $0.stringValue : nil }
                result = .failure(Problem(reason: field.map { "\($0): wrong type" } ?? "not a JSON object"))
            } catch {
                result = .failure(Problem(reason: "not an outcome"))
            }
        }
    }

    /// The per-item report.
    var report: [String: Any] {
        ["accepted": accepted.count, "rejected": rejected.map { ["index": $0.index, "reason": $0.reason] as [String: Any] }]
    }
}
