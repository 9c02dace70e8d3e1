import StewardEngine
import StewardSpec
import StewardStore

/// The agent's own outcomes (`POST /v1/outcomes`): each span's tally from
/// the store, one per version and span however many metrics read it.
struct IngestProvider: EvidenceProvider {
    let outcomes: any OutcomeStore
    var asksServers: Bool { false }

    func gather(_ requests: [EvidenceRequest], at now: Moment, into evidence: inout Evidence) async throws {
        // Every span of every version at once (one query for a store across the network), each asked once however many metrics read it.
        var spans: [TallySpan] = [], index: [TallySpan: Int] = [:]
        for request in requests {
            guard case .ingest = request.metric.provider else { continue }
            for span in request.spans {
                let key = TallySpan(model: request.model, version: request.version.description, from: span.from.secondsSinceEpoch, to: span.to.secondsSinceEpoch)
                if index[key] == nil {
                    index[key] = spans.count
                    spans.append(key)
                }
            }
        }
        let tallies = try await outcomes.tallies(spans)
        for request in requests {
            guard case .ingest(let measure) = request.metric.provider else { continue }
            for span in request.spans {
                let key = TallySpan(model: request.model, version: request.version.description, from: span.from.secondsSinceEpoch, to: span.to.secondsSinceEpoch)
                guard let position = index[key], let statistics = tallies[position].statistics(for: measure) else { continue }
                evidence.record(MetricReading(metric: request.metric.name, version: request.version, windowStart: span.from,
                                              windowEnd: span.to, statistics: statistics))
            }
        }
    }
}
