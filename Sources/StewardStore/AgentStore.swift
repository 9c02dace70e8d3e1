import Foundation
import StewardEngine
import StewardSpec

/// The agent's local state, behind protocols so that a second backend (or
/// an in-memory one for tests) fits beside SQLite: the journal of actions,
/// the outcome buckets and the HTTP providers' windows. Async end to end;
/// no implementation reads a clock of its own.
public protocol AgentStore: Sendable {
    var journal: any ActionJournal { get }
    var outcomes: any OutcomeStore { get }
    var readings: any ReadingStore { get }
    /// How replicas sharing the store divide the work; nil for a store one
    /// agent has to itself (it acts on every rollout).
    var coordination: (any ReplicaCoordination)? { get }
}

extension AgentStore {
    public var coordination: (any ReplicaCoordination)? { nil }
}

/// Every action the agent takes is written here before it runs and marked
/// when it has run, so that a restarted agent knows what was in flight and
/// re-checks it against git before doing anything again. Each finished
/// action keeps the rollout's status as it left it, in the same shape as the
/// status file, so that a restart keeps the evidence judged so far (which git
/// holds only at transitions).
public protocol ActionJournal: Sendable {
    /// Records an action about to run at `time` (`action` says what it does,
    /// for people); returns its id. A store shared by replicas refuses it
    /// with ``StaleTerm`` unless `fence` is the shard's current lease.
    func begin(rollout: String, kind: Action.Kind, action: String, revision: String, at time: Date, fence: Fence?) async throws -> Int64
    /// Marks an action as run, with the status it left, the commit it made
    /// and why it was taken (a rollback's evidence, say).
    func finish(_ id: Int64, status: RolloutStatus?, commit: String?, why: String?) async throws
    /// Marks an action as failed, with why.
    func fail(_ id: Int64, reason: String) async throws
    /// Every traffic change since `since`, oldest first (at most `limit`,
    /// the newest kept): the status page's chart.
    func weightHistory(since: Date, limit: Int) async throws -> [WeightPoint]
    /// Each rollout's status as its latest finished action left it.
    func latestStatuses() async throws -> [String: RolloutStatus]
    /// This agent's actions begun and never finished: a crash happened while they ran.
    func pending() async throws -> [JournalEntry]
    /// The latest actions, newest first.
    func recent(_ limit: Int) async throws -> [JournalEntry]
    /// Closes this agent's pending entries after they were re-checked
    /// (another agent's are its own to re-check).
    func settlePending(_ note: String) async throws
}

extension ActionJournal {
    /// An action of an agent that has the store to itself.
    public func begin(rollout: String, kind: Action.Kind, action: String, revision: String, at time: Date) async throws -> Int64 {
        try await begin(rollout: rollout, kind: kind, action: action, revision: revision, at: time, fence: nil)
    }

    public func finish(_ id: Int64, status: RolloutStatus? = nil, commit: String? = nil, why: String? = nil) async throws {
        try await finish(id, status: status, commit: commit, why: why)
    }

    public func weightHistory(since: Date) async throws -> [WeightPoint] {
        try await weightHistory(since: since, limit: 5000)
    }
}

/// One journalled action.
public struct JournalEntry: Sendable, Hashable {
    public var id: Int64
    public var rollout: String
    /// What the action does; nil for one journalled by an agent that did not say.
    public var kind: Action.Kind?
    /// The same for people, with what it does it to ("setWeights 2.4.0 5%").
    public var action: String
    /// The agent that took it (see `AgentStore`'s implementations).
    public var agent: String?
    /// The desired revision the action was planned on.
    public var revision: String
    /// `pending`, `done` or `failed`.
    public var state: String
    /// Why it was taken, or why it failed.
    public var detail: String?
    public var created: Date
    /// The commit the action made, if it made one.
    public var commit: String?
    /// The status as stored; decoded only when asked for (`/v1/status` lists entries without it).
    var statusJSON: String?
    /// The rollout's status once the action had run.
    public var status: RolloutStatus? { statusJSON.flatMap(JournalEntry.status(fromJSON:)) }

    /// A stored status; nil when this agent cannot read it (a newer one wrote it): git's is used then.
    static func status(fromJSON json: String) -> RolloutStatus? {
        try? JSONDecoder().decode(RolloutStatus.self, from: Data(json.utf8))
    }

    static func json(_ status: RolloutStatus?) throws -> String? {
        try status.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
    }
}

/// A rollout's canary weight from some moment on.
public struct WeightPoint: Sendable, Hashable {
    public var rollout: String
    public var time: Date
    public var canary: String?
    public var weight: Int
}

/// The built-in evidence: request outcomes added up per model, version and
/// bucket of ten seconds, so that any range of time pools exactly (counts,
/// sums and a latency histogram per bucket).
public protocol OutcomeStore: Sendable {
    /// Adds tallies to their buckets, in one transaction.
    func record(tallies: [BucketKey: OutcomeTally]) async throws
    /// Everything recorded for a version with bucket starts in `[from, to)`.
    func tally(model: String, version: String, from: Double, to: Double) async throws -> OutcomeTally
    /// Drops buckets that started before `before`; returns how many.
    @discardableResult func prune(before: Double) async throws -> Int
    /// Each span's tally, in order: what a round asks of every rollout at
    /// once (a store across the network answers them in one query).
    func tallies(_ spans: [TallySpan]) async throws -> [OutcomeTally]
}

/// One version's outcomes with bucket starts in `[from, to)`.
public struct TallySpan: Sendable, Hashable {
    public var model: String
    public var version: String
    public var from: Double
    public var to: Double

    public init(model: String, version: String, from: Double, to: Double) {
        self.model = model
        self.version = version
        self.from = from
        self.to = to
    }
}

extension OutcomeStore {
    /// One query per span: right for a store in the agent's own process.
    public func tallies(_ spans: [TallySpan]) async throws -> [OutcomeTally] {
        var result: [OutcomeTally] = []
        for span in spans { result.append(try await tally(model: span.model, version: span.version, from: span.from, to: span.to)) }
        return result
    }

    /// Adds outcomes to their buckets, in one transaction.
    public func record(_ outcomes: [Outcome]) async throws {
        var buckets: [BucketKey: OutcomeTally] = [:]
        for outcome in outcomes { outcome.add(to: &buckets[BucketKey(of: outcome), default: OutcomeTally()]) }
        try await record(tallies: buckets)
    }
}

/// Where an outcome is added up: its model, version and bucket.
public struct BucketKey: Hashable, Sendable {
    /// Seconds per bucket: a metric's `interval` may be as short as this.
    public static let seconds = 10.0

    public var model: String
    public var version: String
    public var start: Int64

    public init(model: String, version: String, start: Int64) {
        self.model = model
        self.version = version
        self.start = start
    }

    /// The bucket an outcome falls in.
    public init(of outcome: Outcome) {
        // Clamped: a time past Int64 (1e19, from a client) must never trap the agent.
        let start = (outcome.time / Self.seconds).rounded(.down) * Self.seconds
        self.init(model: outcome.model, version: outcome.version, start: Int64(start.isFinite ? min(max(start, 0), 9e18) : 0))
    }
}

/// The windows read from providers that only know "now" (the HTTP JSON
/// provider): each answer kept as the window that just ended, so that the
/// engine can pool every window since the canary's exposure began, and a
/// restarted agent still has them.
public protocol ReadingStore: Sendable {
    /// Keeps a window (a NaN is kept as one: the engine holds on it, never
    /// pools it); a later reading of the same window replaces it.
    func record(_ reading: MetricReading, model: String) async throws
    /// The windows lying inside `[from, to]`, by their end.
    func windows(metric: String, model: String, version: SemanticVersion, from: Moment, to: Moment) async throws -> [MetricReading]
    /// The end of the latest window kept.
    func latestEnd(metric: String, model: String, version: SemanticVersion) async throws -> Moment?
    /// Drops windows that ended before `before`; returns how many.
    @discardableResult func prune(before: Double) async throws -> Int
}
