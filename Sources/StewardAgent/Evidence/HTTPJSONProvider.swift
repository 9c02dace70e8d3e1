import StewardEngine
import StewardMetrics
import StewardSpec
import StewardStore

/// A user's HTTP endpoint answering JSON: asked, once the metric's interval
/// has passed since the last window kept, for the window that just ended;
/// the answer is kept in the store, and every span is read from the windows
/// kept. A round for new outcomes alone is no reason to call the endpoint.
struct HTTPJSONProvider: EvidenceProvider {
    let source: HTTPJSONSource
    let readings: any ReadingStore
    var asksServers: Bool { true }

    func gather(_ requests: [EvidenceRequest], at now: Moment, into evidence: inout Evidence) async throws {
        for request in requests where request.due {
            guard case .http(let url, let path, let samplesPath) = request.metric.provider else { continue }
            let query = request.query(from: now + -request.metric.interval.seconds, to: now)
            let last = try await readings.latestEnd(metric: query.metric, model: query.model, version: query.version)
            if let last, query.to.since(last) < query.interval { continue }
            let reading: MetricReading
            do {
                reading = try await source.reading(query, url: url, jsonPath: path, samplesPath: samplesPath)
            } catch {
                evidence.markUnavailable(metric: query.metric, version: query.version, reason: error.reason)
                continue
            }
            try await readings.record(reading, model: query.model)
        }
        for request in requests {
            for span in request.spans {
                let kept = try await readings.windows(metric: request.metric.name, model: request.model, version: request.version, from: span.from, to: span.to)
                for reading in kept { evidence.record(reading) }
            }
        }
    }
}
