import StewardEngine
import StewardMetrics
import StewardSpec

/// A Prometheus server's range queries: each span's windows, asked only in
/// a round that judges the metric. A server that is down is not asked again
/// in the same round; its metrics are inconclusive, with the reason.
struct PrometheusProvider: EvidenceProvider {
    let source: PrometheusSource
    /// The server of the agent's configuration, for metrics that name none.
    let defaultAddress: String?
    var asksServers: Bool { true }

    func gather(_ requests: [EvidenceRequest], at now: Moment, into evidence: inout Evidence) async throws {
        var down: [String: String] = [:]
        for request in requests where request.due {
            guard case .prometheus(let address, let promQL, let samples) = request.metric.provider else { continue }
            let server = address ?? defaultAddress ?? ""
            for span in request.spans {
                if let reason = down[server] {
                    evidence.markUnavailable(metric: request.metric.name, version: request.version, reason: reason)
                    continue
                }
                do {
                    for reading in try await source.readings(request.query(from: span.from, to: span.to), address: address, promQL: promQL, samples: samples) {
                        evidence.record(reading)
                    }
                } catch {
                    evidence.markUnavailable(metric: request.metric.name, version: request.version, reason: error.reason)
                    if error.isServerFailure { down[server] = error.reason }
                }
            }
        }
    }
}
