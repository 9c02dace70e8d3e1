import StewardYAML

/// Checks of the canary's traffic itself, besides its metrics: a canary
/// that gets no requests for a while after its weight rose (the gateway
/// does not route by the table, or the version is down), and a canary whose
/// share of the requests is far from its weight (a sample-ratio mismatch).
/// Each is off unless the rollout turns it on: it pauses (lifted when the
/// traffic is right again), rolls back or warns. Off by default because they
/// count requests through the agent's own outcomes, which not every team
/// sends, and a gateway that buckets by user splits requests only roughly.
public struct HealthChecks: Sendable {
    /// What a check that finds a problem does.
    public enum Action: String, Sendable, CaseIterable {
        case pause, rollback, warn, off
    }

    /// No canary request this long after its weight rose, while stable's
    /// requests say some should have come.
    public var noTrafficAfter = StewardDuration(seconds: 600)
    public var noTraffic = Action.off
    public var sampleRatio = Action.off

    public init() {}

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["noTraffic", "sampleRatio"]) else { return nil }
        if let check = m.optional("noTraffic")?.mapping(fields: ["after", "action"]) {
            noTrafficAfter = check.optional("after")?.duration() ?? noTrafficAfter
            noTraffic = check.optional("action")?.oneOf(Action.self) ?? .pause
        }
        if let check = m.optional("sampleRatio")?.mapping(fields: ["action"]) {
            sampleRatio = check.optional("action")?.oneOf(Action.self) ?? .pause
        }
    }
}
