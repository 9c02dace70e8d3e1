import StewardEngine
import StewardMetrics
import StewardSpec

/// Where the evidence for a metric comes from: the agent's own outcomes
/// (`ingest`), a Prometheus server, an HTTP JSON endpoint. Each round, the
/// requests for every metric a template gives to one provider go to it in
/// one call. A new provider is one conformance, registered by the name its
/// template uses (``AgentParts/providers``).
public protocol EvidenceProvider: Sendable {
    /// Whether it asks a server (whose failures are logged once, when they
    /// start and when they end) rather than reading the agent's own store.
    var asksServers: Bool { get }

    /// Records each request's readings into `evidence`, or marks the metric
    /// of that version unavailable with the reason. Throws only for the
    /// agent's own store; a server that fails makes its metrics inconclusive.
    func gather(_ requests: [EvidenceRequest], at now: Moment, into evidence: inout Evidence) async throws
}

/// One metric of one version to be measured over each span of its exposure.
public struct EvidenceRequest: Sendable {
    public let metric: MetricSpec
    public let model: String
    public let version: SemanticVersion
    /// The spans, oldest first: one per weight since the exposure began.
    public let spans: [Span]
    /// Whether the engine judges the metric this round: a provider that asks
    /// a server asks only then.
    public let due: Bool

    public struct Span: Sendable {
        public let from: Moment
        public let to: Moment
    }

    /// The query for one stretch of time.
    public func query(from: Moment, to: Moment) -> MetricQuery {
        MetricQuery(metric: metric.name, model: model, version: version, from: from, to: to, interval: metric.interval.seconds)
    }
}

extension MetricProvider {
    /// The name a template gives the provider, and its registry key.
    public var name: String {
        switch self {
        case .ingest: "ingest"
        case .prometheus: "prometheus"
        case .http: "http"
        case .plugin(let name, _): name
        }
    }
}
