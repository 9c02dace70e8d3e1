import StewardEngine
import StewardSpec
import StewardStore

/// The agent's own outcomes (`POST /v1/outcomes`): each span's tally from
/// the store, one per version and span however many metrics read it.
struct IngestProvider: EvidenceProvider {
    let outcomes: any OutcomeStore
    var asksServers: Bool { false }

    func gather(_ requests: [EvidenceRequest], at now: Moment, into evidence: inout Evidence) async throws {
        var tallies: [String: OutcomeTally] = [:]
        for request in requests {
            guard case .ingest(let measure) = request.metric.provider else { continue }
            for span in request.spans {
                let key = "\(request.model)\u{0}\(request.version)\u{0}\(span.from.secondsSinceEpoch)"
                let tally = if let known = tallies[key] { known } else {
                    try await outcomes.tally(model: request.model, version: request.version.description,
                                             from: span.from.secondsSinceEpoch, to: span.to.secondsSinceEpoch)
                }
                tallies[key] = tally
                guard let statistics = tally.statistics(for: measure) else { continue }
                evidence.record(MetricReading(metric: request.metric.name, version: request.version, windowStart: span.from,
                                              windowEnd: span.to, statistics: statistics))
            }
        }
    }
}
