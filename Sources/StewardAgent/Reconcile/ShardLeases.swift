import Foundation
import Logging
import StewardStore
import Synchronization

/// The shards this replica holds, and until when it may act on each by its
/// own clock. A renewal sent at `t` makes the store's lease run to at least
/// `t + duration` by the store's clock; the replica acts only until
/// `t + duration × actingShare`, so that it stops before its lease can have
/// expired for the others, however long the renewal's answer took, and
/// whether or not the store can be reached now (fencing by time, beside
/// the term the store checks on every write).
public final class ShardLeases: Sendable {
    let coordination: any ReplicaCoordination
    /// This replica's id, and where it runs, for people.
    public let replica: String
    let host: String
    let duration: TimeInterval
    let logger: Logger
    /// The part of a lease's duration a replica acts within.
    static let actingShare = 0.8

    struct Held: Sendable, Equatable {
        var term: Int64
        /// Until when this replica acts on the shard, by the monotonic clock.
        var actsUntil: ContinuousClock.Instant
    }

    private let held = Mutex<[Int: Held]>([:])
    /// Counts for `/metrics`: shards taken under a new term, and writes refused for a stale one.
    let takeovers = Atomic<Int>(0)
    let staleTermRefusals = Atomic<Int>(0)
    /// Why the last renewal failed, until one succeeds.
    let renewalProblem = Mutex<String?>(nil)

    public init(coordination: any ReplicaCoordination, replica: String, host: String, duration: TimeInterval, logger: Logger) {
        self.coordination = coordination
        self.replica = replica
        self.host = host
        self.duration = duration
        self.logger = logger
    }

    /// Renews what this replica holds and takes what is free, up to its share.
    /// A failure changes nothing: what it held runs out by the clock.
    public func renew() async {
        let sent = ContinuousClock.now
        do {
            let grants = try await coordination.claim(replica: replica, host: host, shards: Shards.count, duration: duration)
            let until = sent + .milliseconds(Int64(duration * Self.actingShare * 1000))
            let (taken, dropped) = held.withLock { held -> ([LeaseGrant], [Int]) in
                let taken = grants.filter { held[$0.shard]?.term != $0.term }
                let dropped = held.keys.filter { shard in !grants.contains { $0.shard == shard } }
                held = Dictionary(uniqueKeysWithValues: grants.map { ($0.shard, Held(term: $0.term, actsUntil: until)) })
                return (taken, dropped)
            }
            takeovers.add(taken.count, ordering: .relaxed)
            if !taken.isEmpty { logger.info("took shards", metadata: ["shards": "\(taken.map { "\($0.shard)@\($0.term)" })"]) }
            if !dropped.isEmpty { logger.info("gave shards up", metadata: ["shards": "\(dropped.sorted())"]) }
            if renewalProblem.withLock({ $0 }) != nil { logger.info("leases renewed again") }
            renewalProblem.withLock { $0 = nil }
        } catch {
            let first = renewalProblem.withLock { problem in
                defer { problem = "\(error)" }
                return problem == nil
            }
            if first { logger.error("cannot renew the shard leases; acting on what is held until it runs out", metadata: ["error": "\(error)"]) }
        }
    }

    /// Gives every lease up (a graceful stop), after ceasing to act on them.
    public func release() async {
        held.withLock { $0 = [:] }
        do {
            try await coordination.release(replica: replica)
        } catch {
            logger.warning("could not give the shard leases up; they expire by themselves", metadata: ["error": "\(error)"])
        }
    }

    /// The fence a rollout's actions carry now; nil when this replica may not act on it.
    public func fence(for rollout: String) -> Fence? {
        let shard = Shards.shard(of: rollout), now = ContinuousClock.now
        return held.withLock { held in
            guard let lease = held[shard], now < lease.actsUntil else { return nil }
            return Fence(shard: shard, term: lease.term, replica: replica)
        }
    }

    /// The shards this replica may act on now, with their terms.
    public var acting: [Int: Int64] {
        let now = ContinuousClock.now
        return held.withLock { $0.filter { now < $0.value.actsUntil }.mapValues(\.term) }
    }

    /// Shards taken under a new term, and writes refused for a stale one, so far.
    var counts: (takeovers: Int, staleTermRefusals: Int) {
        (takeovers.load(ordering: .relaxed), staleTermRefusals.load(ordering: .relaxed))
    }

    /// Counts a write the store refused for a stale term.
    func refused(_ error: any Error) {
        if error is StaleTerm { staleTermRefusals.add(1, ordering: .relaxed) }
    }
}
