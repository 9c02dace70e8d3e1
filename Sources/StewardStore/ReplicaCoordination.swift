import Foundation
import StewardRouting

/// What several agents (replicas) sharing one store agree on through it:
/// who acts on which shard of the rollouts, under which term, and the
/// routing table and emergency stops that every replica serves. A store
/// that one agent has to itself (SQLite, memory) has none: that agent acts
/// on every rollout.
///
/// The store's clock is the one clock: a lease expires by the database's
/// time, so replicas whose clocks disagree still agree on who holds what.
public protocol ReplicaCoordination: Sendable {
    /// Says this replica is alive, renews the leases it holds (at most its
    /// fair share: the shards over the replicas alive), takes expired shards
    /// up to that share, and returns what it holds now. A shard it holds
    /// beyond its share is left to expire, so that another replica can take
    /// it without this one acting on it past its lease.
    func claim(replica: String, host: String, shards: Int, duration: TimeInterval) async throws -> [LeaseGrant]

    /// Gives up every lease this replica holds (a graceful stop), so that
    /// another replica takes its shards at once.
    func release(replica: String) async throws

    /// Every shard's lease, for people (`steward status`).
    func leases() async throws -> [ShardLease]

    /// Writes routes, each under its shard's fence; a route whose fence no
    /// longer holds (another replica took the shard) is refused with
    /// ``StaleTerm`` and nothing of the batch is written. Bumps the table's
    /// generation, and returns true, when anything changed.
    @discardableResult func publish(_ routes: [FencedRoute]) async throws -> Bool

    /// Removes the routes of `models` written in the fence's shard (their
    /// rollouts are gone from it), refused like `publish` when the fence is
    /// stale; bumps the generation when any was removed.
    func retire(_ models: [String], fence: Fence) async throws

    /// The routing table's generation: it changes whenever a route or a stop does.
    func routesGeneration() async throws -> Int64

    /// Every route, with the generation read in the same snapshot.
    func routes() async throws -> (generation: Int64, routes: [SharedRoute])

    /// Asks every replica to hold a model's traffic on one version now (an
    /// emergency stop posted to any of them), until the rollout's holder
    /// sees the stop in git and clears it.
    func requestStop(_ stop: StopRequest) async throws

    /// The stops asked for and not yet cleared.
    func stopRequests() async throws -> [StopRequest]

    /// Clears a rollout's stop once git has it.
    func clearStop(rollout: String) async throws
}

/// A shard this replica holds: the term it holds it under, and what its
/// actions must show the store to be written.
public struct LeaseGrant: Sendable, Hashable {
    public var shard: Int
    public var term: Int64

    public init(shard: Int, term: Int64) {
        self.shard = shard
        self.term = term
    }
}

/// What an action of a replica carries: the shard it acts in, the term it
/// holds it under, and who it is. The store refuses a write whose fence is
/// not the shard's current, unexpired lease.
public struct Fence: Sendable, Hashable, CustomStringConvertible {
    public var shard: Int
    public var term: Int64
    public var replica: String

    public init(shard: Int, term: Int64, replica: String) {
        self.shard = shard
        self.term = term
        self.replica = replica
    }

    public var description: String { "shard \(shard) term \(term)" }
}

/// One shard's lease as the store has it.
public struct ShardLease: Sendable, Hashable, Codable {
    public var shard: Int
    public var holder: String?
    public var host: String?
    public var term: Int64
    public var expires: Date
}

/// A model's route as the replicas share it, and the term it was written under.
public struct SharedRoute: Sendable, Hashable {
    public var route: ModelRoute
    public var shard: Int
    public var term: Int64
    public var revision: String

    public init(route: ModelRoute, shard: Int, term: Int64, revision: String) {
        self.route = route
        self.shard = shard
        self.term = term
        self.revision = revision
    }
}

/// A route to write, and the fence it is written under.
public struct FencedRoute: Sendable, Hashable {
    public var route: ModelRoute
    public var fence: Fence
    public var revision: String

    public init(route: ModelRoute, fence: Fence, revision: String) {
        self.route = route
        self.fence = fence
        self.revision = revision
    }
}

/// An emergency stop asked of any replica: the model held on `version`.
public struct StopRequest: Sendable, Hashable {
    public var rollout: String
    public var model: String
    public var version: String
    public var replica: String

    public init(rollout: String, model: String, version: String, replica: String) {
        self.rollout = rollout
        self.model = model
        self.version = version
        self.replica = replica
    }
}

/// A write refused because its term is no longer the shard's: another
/// replica took the shard (this one was cut off, or paused past its lease).
public struct StaleTerm: Error, CustomStringConvertible {
    public var fence: Fence
    public var what: String

    public init(fence: Fence, what: String) {
        self.fence = fence
        self.what = what
    }

    public var description: String {
        "refused \(what): \(fence) is no longer held by \(fence.replica) (another replica took the shard, or the lease expired)"
    }
}

/// Rollouts spread over shards by a stable hash of the name (FNV-1a), the
/// same on every replica and every run.
public enum Shards {
    /// How many shards the rollouts are spread over: a constant, so that
    /// every replica agrees without asking.
    public static let count = 16

    public static func shard(of rollout: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in rollout.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(count))
    }
}
