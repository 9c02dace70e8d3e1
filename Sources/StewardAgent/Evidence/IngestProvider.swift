import StewardEngine
import StewardSpec
import StewardStore

/// The agent's own outcomes (`POST /v1/outcomes`): each span's tally from
/// the store, one per version and span however many metrics read it.
struct IngestProvider: EvidenceProvider {
    let outcomes: any OutcomeStore
    var asksServers: Bool { false }

    func gather(_ requests: [EvidenceRequest], at now: Moment, into evidence: inout Evidence) async throws {
        let asked = requests.compactMap { request -> (request: EvidenceRequest, measure: IngestMeasure, spans: [TallySpan])? in
            guard case .ingest(let measure) = request.metric.provider else { return nil }
            return (request, measure, request.spans.map {
                TallySpan(model: request.model, version: request.version.description, from: $0.from.secondsSinceEpoch, to: $0.to.secondsSinceEpoch)
            })
        }
        // Every span of every version at once (one query for a store across the network), each asked once however many metrics read it.
        let unique = Array(Set(asked.flatMap(\.spans)))
        let tallies = Dictionary(uniqueKeysWithValues: zip(unique, try await outcomes.tallies(unique)))
        for (request, measure, spans) in asked {
            for (span, key) in zip(request.spans, spans) {
                guard let statistics = tallies[key]?.statistics(for: measure) else { continue }
                evidence.record(MetricReading(metric: request.metric.name, version: request.version, windowStart: span.from,
                                              windowEnd: span.to, statistics: statistics))
            }
        }
    }
}
