import Foundation
import StewardEngine

/// `GET /v1/status`: every rollout's phase, step, weights and verdicts
/// (value, interval, threshold, samples, what is still needed), the
/// revisions, and why the tip is not acted on when it is not.
struct StatusReport: Encodable {
    var ready: Bool
    var desiredRevision: String?
    var observedRevision: String?
    var invalidRevision: String?
    var invalidDiagnostics: [String]
    var lastError: String?
    var lastFetch: Date?
    var rollouts: [RolloutReport]

    struct RolloutReport: Encodable {
        var name: String
        var phase: String
        var stable: String
        var canary: String?
        var step: Int
        var canaryWeight: Int
        var pauseReason: String?
        var verdicts: [VerdictReport]
    }

    struct VerdictReport: Encodable {
        var metric: String
        var outcome: String
        var severity: String
        var value: Double?
        var lower: Double?
        var upper: Double?
        var threshold: Double
        var relativeToStable: Bool
        var samples: Int
        var samplesNeeded: Int?
        var note: String?
        var text: String
    }

    init(_ state: AgentSnapshot.State) {
        ready = state.ready
        desiredRevision = state.desiredRevision
        observedRevision = state.observedRevision
        invalidRevision = state.invalidRevision
        invalidDiagnostics = state.invalidDiagnostics
        lastError = state.lastError
        lastFetch = state.lastFetch
        rollouts = state.statuses.keys.sorted().map { name in
            let s = state.statuses[name]!
            return RolloutReport(
                name: name, phase: s.phase.rawValue, stable: s.stable.description, canary: s.canary?.description,
                step: s.stepIndex + 1, canaryWeight: s.canaryWeight, pauseReason: s.pauseReason,
                verdicts: s.verdicts.keys.sorted().map { metric in
                    let v = s.verdicts[metric]!
                    // JSON has no infinity: an unbounded end is left out.
                    return VerdictReport(metric: metric, outcome: v.outcome.rawValue, severity: v.severity.rawValue, value: v.value,
                                         lower: v.interval?.lower.isFinite == true ? v.interval?.lower : nil,
                                         upper: v.interval?.upper.isFinite == true ? v.interval?.upper : nil,
                                         threshold: v.threshold, relativeToStable: v.relativeToStable, samples: v.samples,
                                         samplesNeeded: v.samplesNeeded, note: v.note, text: v.description)
                })
        }
    }
}
