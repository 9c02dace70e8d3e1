import Foundation
import StewardEngine
import StewardStore

/// `GET /v1/status`: every rollout's status (the status file's shape, with
/// the verdicts' evidence: value, interval, threshold, samples, what is
/// still needed), the revisions, why the tip is not acted on when it is
/// not, and the latest decisions from the journal. `steward status` reads it
/// back by this same type.
public struct StatusReport: Codable, Sendable {
    public var ready: Bool
    public var desiredRevision: String?
    public var observedRevision: String?
    public var invalidRevision: String?
    public var invalidDiagnostics: [String]
    public var lastError: String?
    public var lastFetch: Date?
    /// Why outcomes cannot be written now (a full or broken state disk);
    /// meanwhile `/v1/outcomes` answers 503 so that clients send again.
    public var outcomeWriteProblem: String?
    /// Versions whose base model retires soon, or has retired (from the policies' catalogs).
    public var retirements: [String]?
    public var rollouts: [RolloutReport]
    public var decisions: [Decision]
    /// With several replicas: the replica that answered, each shard's lease
    /// (who holds it, under which term, until when), and each version's
    /// outcomes over the last day from the shared store.
    public var replica: String?
    public var shards: [ShardLease]?
    public var outcomeTotals: [OutcomeTotal]?

    /// One version's outcomes over the last day, every replica's together.
    public struct OutcomeTotal: Codable, Sendable, Hashable {
        public var model: String
        public var version: String
        public var requests: Double
        public var errors: Double
    }

    /// One rollout: its name beside its status's own fields, and each verdict in words.
    public struct RolloutReport: Codable, Sendable {
        public var name: String
        public var status: RolloutStatus
        /// The verdicts as a person reads them, by metric.
        public var verdictText: [String: String]

        enum Extra: String, CodingKey { case name, verdictText }

        init(name: String, status: RolloutStatus) {
            self.name = name
            self.status = status
            verdictText = status.verdicts.mapValues(\.description)
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Extra.self)
            name = try c.decode(String.self, forKey: .name)
            verdictText = try c.decodeIfPresent([String: String].self, forKey: .verdictText) ?? [:]
            status = try RolloutStatus(from: decoder)
        }

        public func encode(to encoder: any Encoder) throws {
            try status.encode(to: encoder)
            var c = encoder.container(keyedBy: Extra.self)
            try c.encode(name, forKey: .name)
            try c.encode(verdictText, forKey: .verdictText)
        }
    }

    /// An action the agent took (or began), newest first.
    public struct Decision: Codable, Sendable {
        public var time: Date
        public var rollout: String
        public var action: String
        /// `done`, `failed` or `pending`.
        public var state: String
        public var detail: String?
        public var revision: String
        /// The commit the action made, if it made one.
        public var commit: String?
    }

    /// What replicas share: the leases, the rollouts other replicas act on
    /// (as their latest journalled status left them), and outcome totals.
    mutating func addShared(shards: ShardLeases, store: any AgentStore, models: [String: String]) async {
        replica = shards.replica
        self.shards = try? await shards.coordination.leases()
        let acted = Set(rollouts.map(\.name))
        if let latest = try? await store.journal.latestStatuses() {
            for (name, status) in latest where models[name] != nil && !acted.contains(name) { rollouts.append(RolloutReport(name: name, status: status)) }
            rollouts.sort { $0.name < $1.name }
        }
        // Every version's day at once (one query across the network), as a round asks its evidence.
        let now = Date().timeIntervalSince1970
        let spans = rollouts.flatMap { rollout -> [TallySpan] in
            guard let model = models[rollout.name] else { return [] }
            return Set([rollout.status.stable] + (rollout.status.canary.map { [$0] } ?? [])).map(\.description).sorted()
                .map { TallySpan(model: model, version: $0, from: now - 86_400, to: now + BucketKey.seconds) }
        }
        let tallies = (try? await store.outcomes.tallies(spans)) ?? []
        let totals = zip(spans, tallies).map { OutcomeTotal(model: $0.model, version: $0.version, requests: $1.requests, errors: $1.errors) }
        outcomeTotals = totals
    }

    init(_ state: AgentSnapshot.State, journal: [JournalEntry], outcomeWriteProblem: String? = nil) {
        self.outcomeWriteProblem = outcomeWriteProblem
        ready = state.ready
        desiredRevision = state.desiredRevision
        observedRevision = state.observedRevision
        invalidRevision = state.invalidRevision
        invalidDiagnostics = state.invalidDiagnostics
        lastError = state.lastError
        lastFetch = state.lastFetch
        retirements = state.retirements.isEmpty ? nil : state.retirements
        rollouts = state.statuses.sorted { $0.key < $1.key }.map { RolloutReport(name: $0.key, status: $0.value) }
        decisions = journal.map { Decision(time: $0.created, rollout: $0.rollout, action: $0.action, state: $0.state, detail: $0.detail, revision: $0.revision, commit: $0.commit) }
    }
}
