import Foundation
import StewardStore

/// A `POST /v1/outcomes` body: `{"outcomes": [...]}`. Each malformed item
/// is rejected with its index and reason; the good ones are kept.
struct OutcomeBatch {
    var accepted: [Outcome] = []
    var rejected: [(index: Int, reason: String)] = []

    /// Nil when the body is not a JSON object with an `outcomes` array.
    init?(json: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
              let items = object["outcomes"] as? [Any] else { return nil }
        for (index, item) in items.enumerated() {
            switch Self.outcome(item) {
            case .success(let outcome): accepted.append(outcome)
            case .failure(let problem): rejected.append((index, problem.reason))
            }
        }
    }

    struct Problem: Error { var reason: String }

    private static func outcome(_ item: Any) -> Result<Outcome, Problem> {
        guard var fields = item as? [String: Any] else { return .failure(Problem(reason: "not a JSON object")) }
        if let text = fields["time"] as? String {
            guard let date = ISO8601DateFormatter().date(from: text) else {
                return .failure(Problem(reason: "time: '\(text.prefix(40))' is not an ISO 8601 time such as 2026-11-22T10:00:00Z"))
            }
            fields["time"] = date.timeIntervalSince1970
        }
        do {
            let data = try JSONSerialization.data(withJSONObject: fields)
            let outcome = try JSONDecoder().decode(Outcome.self, from: data)
            if let problem = outcome.problem { return .failure(Problem(reason: problem)) }
            return .success(outcome)
        } catch let DecodingError.keyNotFound(key, _) {
            return .failure(Problem(reason: "missing field '\(key.stringValue)'"))
        } catch let DecodingError.typeMismatch(_, context) {
            return .failure(Problem(reason: "\(context.codingPath.map(\.stringValue).joined(separator: ".")): wrong type"))
        } catch {
            return .failure(Problem(reason: "not an outcome"))
        }
    }

    /// The per-item report.
    var report: [String: Any] {
        ["accepted": accepted.count, "rejected": rejected.map { ["index": $0.index, "reason": $0.reason] as [String: Any] }]
    }
}
