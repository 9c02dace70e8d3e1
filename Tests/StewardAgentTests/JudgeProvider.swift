import StewardAgent
import StewardEngine
import StewardSpec

/// A provider of a team's own, as one would add it: this one file, one
/// line where the agent is built (`AgentParts.providers`), and a template
/// naming it:
///
///     provider: {plugin: {name: judge, settings: {suite: support-evals}}}
///
/// It stands for an evaluation service: each version's score per minute
/// on the named suite, 50 graded answers behind each.
struct JudgeProvider: EvidenceProvider {
    /// Each suite's mean score by version.
    let scores: [String: [String: Double]]
    var asksServers: Bool { false }

    func gather(_ requests: [EvidenceRequest], at now: Moment, into evidence: inout Evidence) async throws {
        for request in requests {
            guard case .plugin(_, let settings) = request.metric.provider else { continue }
            guard let suite = settings["suite"], let score = scores[suite]?[request.version.description] else {
                evidence.markUnavailable(metric: request.metric.name, version: request.version,
                                         reason: "the judge has no suite '\(settings["suite"] ?? "")' scored for \(request.version)")
                continue
            }
            let window = request.metric.interval.seconds
            for span in request.spans {
                var start = span.from
                while start + window <= span.to {
                    // A little spread from minute to minute, the same on every read.
                    let spread = Double(Int(start.secondsSinceEpoch / window) % 5 - 2) * 0.01
                    evidence.record(MetricReading(metric: request.metric.name, version: request.version, windowStart: start,
                                                  windowEnd: start + window, statistics: .value(score + spread, samples: 50)))
                    start = start + window
                }
            }
        }
    }
}
