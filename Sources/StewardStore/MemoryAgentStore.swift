import Foundation
import StewardEngine
import StewardSpec
import Synchronization

/// The agent's local state in memory, for tests and for trying things
/// out: the same contract as SQLite's (the store tests run against both),
/// gone when the process ends.
public final class MemoryAgentStore: AgentStore {
    public let journal: any ActionJournal
    public let outcomes: any OutcomeStore
    public let readings: any ReadingStore
    private let entries: MemoryJournal.Entries

    /// A store for the agent named `agent` (see `SQLiteAgentStore.init`).
    public init(agent: String = "steward") {
        entries = MemoryJournal.Entries()
        journal = MemoryJournal(entries, agent: agent)
        outcomes = MemoryOutcomes()
        readings = MemoryReadings()
    }

    private init(sharing store: MemoryAgentStore, agent: String) {
        entries = store.entries
        journal = MemoryJournal(entries, agent: agent)
        outcomes = store.outcomes
        readings = store.readings
    }

    /// The same store, as another agent sees it: as several agents share one database.
    public func asAgent(_ agent: String) -> MemoryAgentStore {
        MemoryAgentStore(sharing: self, agent: agent)
    }
}

final class MemoryJournal: ActionJournal {
    /// The entries, shared by every agent's view of one store.
    final class Entries: Sendable {
        let list = Mutex<[JournalEntry]>([])
    }
    private let shared: Entries
    private let agent: String

    init(_ entries: Entries, agent: String) {
        shared = entries
        self.agent = agent
    }

    func begin(rollout: String, kind: Action.Kind, action: String, revision: String, at time: Date, fence: Fence?) async throws -> Int64 {
        shared.list.withLock { entries in
            let id = Int64(entries.count + 1)
            entries.append(JournalEntry(id: id, rollout: rollout, kind: kind, action: action, agent: agent, revision: revision,
                                        state: "pending", created: time))
            return id
        }
    }

    func finish(_ id: Int64, status: RolloutStatus?, commit: String?, why: String?) async throws {
        let json = try JournalEntry.json(status)
        update(id) {
            $0.state = "done"
            $0.detail = why
            $0.statusJSON = json
            $0.commit = commit
        }
    }

    func fail(_ id: Int64, reason: String) async throws {
        update(id) {
            $0.state = "failed"
            $0.detail = reason
        }
    }

    private func update(_ id: Int64, _ change: (inout JournalEntry) -> Void) {
        shared.list.withLock { entries in
            guard let i = entries.firstIndex(where: { $0.id == id }) else { return }
            change(&entries[i])
        }
    }

    func weightHistory(since: Date, limit: Int) async throws -> [WeightPoint] {
        let changes = shared.list.withLock { entries in
            entries.filter { $0.kind == .setWeights && $0.state == "done" && $0.statusJSON != nil && $0.created >= since }.suffix(limit)
        }
        return changes.sorted { $0.created < $1.created }.map { entry in
            let status = entry.status
            return WeightPoint(rollout: entry.rollout, time: entry.created, canary: status?.canary?.description, weight: status?.canaryWeight ?? 0)
        }
    }

    func latestStatuses() async throws -> [String: RolloutStatus] {
        let latest = shared.list.withLock { entries in
            entries.filter { $0.state == "done" && $0.statusJSON != nil }.reduce(into: [String: JournalEntry]()) { $0[$1.rollout] = $1 }
        }
        return latest.compactMapValues(\.status)
    }

    func pending() async throws -> [JournalEntry] {
        shared.list.withLock { $0.filter { $0.state == "pending" && $0.agent == agent }.reversed().prefix(1000).map { $0 } }
    }

    func recent(_ limit: Int) async throws -> [JournalEntry] {
        shared.list.withLock { $0.reversed().prefix(limit).map { $0 } }
    }

    func settlePending(_ note: String) async throws {
        shared.list.withLock { entries in
            for i in entries.indices where entries[i].state == "pending" && entries[i].agent == agent {
                entries[i].state = "done"
                entries[i].detail = note
            }
        }
    }
}

final class MemoryOutcomes: OutcomeStore {
    private let buckets = Mutex<[BucketKey: OutcomeTally]>([:])

    func record(tallies: [BucketKey: OutcomeTally]) async throws {
        buckets.withLock { buckets in
            for (key, tally) in tallies { buckets[key, default: OutcomeTally()].add(tally) }
        }
    }

    func tally(model: String, version: String, from: Double, to: Double) async throws -> OutcomeTally {
        let (from, to) = (Int64(from.rounded(.down)), Int64(to.rounded(.down)))
        return buckets.withLock { buckets in
            buckets.reduce(into: OutcomeTally()) { total, bucket in
                let key = bucket.key
                if key.model == model, key.version == version, key.start >= from, key.start < to { total.add(bucket.value) }
            }
        }
    }

    func prune(before: Double) async throws -> Int {
        let before = Int64(before)
        return buckets.withLock { buckets in
            let old = buckets.keys.filter { $0.start < before }
            for key in old { buckets[key] = nil }
            return old.count
        }
    }
}

final class MemoryReadings: ReadingStore {
    private struct Key: Hashable {
        var metric: String, model: String, version: SemanticVersion, end: Moment
    }
    private let kept = Mutex<[Key: MetricReading]>([:])

    func record(_ reading: MetricReading, model: String) async throws {
        guard case .windows(_, let sum, _, let samples) = reading.statistics else { return }
        var window = reading
        window.statistics = .value(sum, samples: samples)
        kept.withLock { $0[Key(metric: reading.metric, model: model, version: reading.version, end: reading.windowEnd)] = window }
    }

    func windows(metric: String, model: String, version: SemanticVersion, from: Moment, to: Moment) async throws -> [MetricReading] {
        kept.withLock { kept in
            kept.filter { $0.key.metric == metric && $0.key.model == model && $0.key.version == version
                && $0.value.windowStart >= from && $0.value.windowEnd <= to }.values.sorted { $0.windowEnd < $1.windowEnd }
        }
    }

    func latestEnd(metric: String, model: String, version: SemanticVersion) async throws -> Moment? {
        kept.withLock { kept in
            kept.keys.filter { $0.metric == metric && $0.model == model && $0.version == version }.map(\.end).max()
        }
    }

    func prune(before: Double) async throws -> Int {
        kept.withLock { kept in
            let old = kept.keys.filter { $0.end.secondsSinceEpoch < before }
            for key in old { kept[key] = nil }
            return old.count
        }
    }
}
