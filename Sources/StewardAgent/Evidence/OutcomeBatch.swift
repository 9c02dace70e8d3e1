import Foundation
import StewardStore

/// A `POST /v1/outcomes` body: `{"outcomes": [...]}`, decoded in one pass.
/// Each malformed item is rejected with its index and reason; the good ones are kept.
public struct OutcomeBatch: Decodable {
    /// The outcomes kept.
    public var accepted: [Outcome] = []
    /// The items refused, by their index in the body, each with why.
    public var rejected: [(index: Int, reason: String)] = []

    private enum Keys: String, CodingKey { case outcomes }

    public init(from decoder: any Decoder) throws {
        let now = decoder.userInfo[Self.nowKey] as? Double
        let known = decoder.userInfo[Self.knownKey] as? [String: Set<String>]
        var items = try decoder.container(keyedBy: Keys.self).nestedUnkeyedContainer(forKey: .outcomes)
        while !items.isAtEnd {
            let index = items.currentIndex
            let item = try items.decode(Item.self)
            switch item.result {
            case .success(let outcome):
                if let problem = outcome.problem(now: now) ?? Self.unknown(outcome, known) {
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

    /// The registry's models and their versions, when the agent has a desired state.
    static let knownKey = CodingUserInfoKey(rawValue: "known")!

    /// Nil when the body is not a JSON object with an `outcomes` array.
    /// Times more than a day ahead of `now` are refused per item, and so,
    /// given `known` (model → versions), are models and versions the
    /// registry does not have: nothing judges them, and a client could
    /// otherwise fill the agent's memory with made-up names.
    public init?(json: Data, now: Double? = nil, known: [String: Set<String>]? = nil) {
        let decoder = JSONDecoder()
        if let now { decoder.userInfo[Self.nowKey] = now }
        if let known { decoder.userInfo[Self.knownKey] = known }
        guard let batch = try? decoder.decode(OutcomeBatch.self, from: json) else { return nil }
        self = batch
    }

    struct Problem: Error { var reason: String }

    /// Why the registry does not know the outcome's model or version, if it does not.
    static func unknown(_ outcome: Outcome, _ known: [String: Set<String>]?) -> String? {
        guard let known else { return nil }
        guard let versions = known[outcome.model] else { return "model: '\(outcome.model.prefix(80))' is not a Model in the registry" }
        return versions.contains(outcome.version) ? nil
            : "version: '\(outcome.version.prefix(40))' is not a version of Model '\(outcome.model)' in the registry"
    }

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
