import StewardOTLP
import StewardStore

/// Which span or resource attributes name a span's Steward model and
/// version: the GenAI conventions have none for a deployment's version.
public struct SpanAttributes: Sendable, Hashable {
    public var model = "steward.model"
    public var version = "steward.version"

    public init() {}
}

/// An OTLP trace export turned into outcomes: each span that follows the
/// OpenTelemetry GenAI conventions (`gen_ai.*` attributes) and names its
/// model and version is one request — its duration the latency, its
/// status (or `error.type`) whether it failed, `gen_ai.usage.input_tokens`
/// and `output_tokens` its tokens, and `steward.cost`, `steward.rating`,
/// `steward.hallucination`, `steward.safety_violation` where the
/// application sets them. Checked as `/v1/outcomes` checks its items; other
/// spans (an HTTP handler's, a database call's) are not model calls and are
/// passed over.
struct SpanOutcomes {
    var accepted: [Outcome] = []
    /// Spans refused, by their position in the export (from 0), each with why.
    var rejected: [(index: Int, reason: String)] = []
    /// Spans that are not model calls.
    var passedOver = 0

    init(_ request: OTLPExportRequest, attributes names: SpanAttributes, now: Double, known: [String: Set<String>]?) {
        var index = 0
        for resourceSpans in request.resourceSpans {
            let resource = Self.attributes(resourceSpans.resource.attributes)
            for scope in resourceSpans.scopeSpans {
                for span in scope.spans {
                    defer { index += 1 }
                    let attributes = resource.merging(Self.attributes(span.attributes)) { _, own in own }
                    // A model call by its own attributes: a version on the resource does not make its HTTP spans requests.
                    let own = span.attributes.map(\.key)
                    guard own.contains(where: { $0.hasPrefix("gen_ai.") || $0 == names.version }) else {
                        passedOver += 1
                        continue
                    }
                    switch Self.outcome(span, attributes, names) {
                    case .failure(let problem): rejected.append((index, problem.reason))
                    case .success(let outcome):
                        if let problem = outcome.problem(now: now) ?? OutcomeBatch.unknown(outcome, known) {
                            rejected.append((index, problem))
                        } else {
                            accepted.append(outcome)
                        }
                    }
                }
            }
        }
    }

    private static func attributes(_ list: [OTLPKeyValue]) -> [String: OTLPAnyValue] {
        Dictionary(list.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// A model call's outcome, or why it cannot be one.
    private static func outcome(_ span: OTLPSpan, _ attributes: [String: OTLPAnyValue], _ names: SpanAttributes)
        -> Result<Outcome, OutcomeBatch.Problem> {
        guard let model = attributes[names.model]?.text else {
            return .failure(.init(reason: "a gen_ai span without a '\(names.model)' attribute (on the span or its resource)"))
        }
        guard let version = attributes[names.version]?.text else {
            return .failure(.init(reason: "a gen_ai span without a '\(names.version)' attribute (on the span or its resource)"))
        }
        guard span.endTimeUnixNano >= span.startTimeUnixNano, span.startTimeUnixNano > 0 else {
            return .failure(.init(reason: "the span's end time is missing or before its start"))
        }
        let failed = span.status.code == .error || attributes["error.type"] != nil
        return .success(Outcome(
            model: model, version: version, time: Double(span.endTimeUnixNano) / 1e9,
            latencyMs: Double(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6, ok: !failed,
            inputTokens: attributes["gen_ai.usage.input_tokens"]?.number, outputTokens: attributes["gen_ai.usage.output_tokens"]?.number,
            cost: attributes["steward.cost"]?.number, rating: attributes["steward.rating"]?.number,
            hallucination: attributes["steward.hallucination"]?.flag, safetyViolation: attributes["steward.safety_violation"]?.flag))
    }
}
