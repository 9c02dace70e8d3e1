import Foundation
import StewardEngine
import StewardStore
import Synchronization

/// Outcomes added up in memory as they arrive, and written to the store in one
/// transaction a second (and before every reconcile round reads them), so
/// that a gateway's POST costs a few additions, not a disk write. A crash
/// loses at most the last second's outcomes: samples, not state.
public final class IngestBuffer: Sendable {
    private let pending = Mutex<[BucketKey: OutcomeTally]>([:])
    let store: any OutcomeStore

    public init(store: any OutcomeStore) {
        self.store = store
    }

    /// The most buckets held in memory (each some kilobytes): past it, while
    /// the store cannot take them, a batch is refused whole rather than kept.
    public static let maximumBuckets = 5_000

    /// Adds outcomes to their buckets in memory; false, and nothing added,
    /// when that would hold more than `maximumBuckets`.
    @discardableResult
    public func add(_ outcomes: [Outcome]) -> Bool {
        var local: [BucketKey: OutcomeTally] = [:]
        for outcome in outcomes { outcome.add(to: &local[BucketKey(of: outcome), default: OutcomeTally()]) }
        return pending.withLock { pending in
            let added = local.keys.filter { pending[$0] == nil }.count
            guard pending.count + added <= Self.maximumBuckets else { return false }
            for (key, tally) in local { pending[key, default: OutcomeTally()].add(tally) }
            return true
        }
    }

    /// Why the last write to the store failed (a full disk, say), until one succeeds.
    public var writeProblem: String? { problem.withLock { $0 } }
    private let problem = Mutex<String?>(nil)

    /// Writes what has arrived since the last flush.
    public func flush() async throws {
        let batch = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.record(tallies: batch)
            problem.withLock { $0 = nil }
        } catch {
            problem.withLock { $0 = "\(error)" }
            // Nothing is lost on a failed write: the tallies go back, to be written with the next flush.
            pending.withLock { pending in
                for (key, tally) in batch { pending[key, default: OutcomeTally()].add(tally) }
            }
            throw error
        }
    }
}
