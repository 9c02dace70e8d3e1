import Foundation
import Logging
import ServiceLifecycle
import StewardRouting
import StewardStore
import Synchronization

/// The routing table several replicas share, kept in their store: each
/// replica writes the routes of the rollouts it holds, under their shards'
/// fences (a stale term is refused), and every replica serves the whole
/// table, read back whenever its generation changes (looked at ten times a
/// second). An emergency stop asked of any replica is a row in the store
/// that every replica's table applies at once. Run as a service: its loop
/// keeps the served table current. The last table read is served while
/// the store cannot be reached.
public final class SharedRoutesPublisher: RoutesPublisher, Service {
    let coordination: any ReplicaCoordination
    let replica: String
    let logger: Logger
    private let served = Mutex<(table: RoutingTable, json: [UInt8])?>(nil)
    /// The routes as last read, with the shard each was written in.
    private let read = Mutex<[SharedRoute]>([])
    /// The shards this replica holds: their routes of rollouts gone are removed.
    let shards: ShardLeases?
    /// How often the store's generation is looked at.
    static let pollInterval = Duration.milliseconds(100)

    public init(coordination: any ReplicaCoordination, replica: String, shards: ShardLeases?, logger: Logger) {
        self.coordination = coordination
        self.replica = replica
        self.shards = shards
        self.logger = logger
    }

    public var current: (table: RoutingTable, json: [UInt8])? { served.withLock { $0 } }

    public func publish(_ models: [ModelRoute], revision: String, fences: [String: Fence]) async throws -> Bool {
        // Only what differs from the table served (read back a moment ago): a round of 10,000 rollouts writes what moved.
        let served = Dictionary((current?.table.models ?? []).map { ($0.model, $0) }) { first, _ in first }
        let fenced = models.compactMap { route in
            served[route.model] == route ? nil : fences[route.model].map { FencedRoute(route: route, fence: $0, revision: revision) }
        }
        var changed = try await coordination.publish(fenced)
        // A route of a rollout gone from a shard this replica holds (deleted, or renamed into another shard) goes too;
        // `fences` names every model the desired state has in the shards held.
        let written = read.withLock { $0 }
        for (shard, term) in shards?.acting ?? [:] {
            let gone = written.filter { $0.shard == shard && fences[$0.route.model] == nil }.map(\.route.model)
            guard !gone.isEmpty else { continue }
            try await coordination.retire(gone, fence: Fence(shard: shard, term: term, replica: replica))
            changed = true
        }
        if changed { try await refresh() }
        return changed
    }

    public func hold(_ model: String, on version: String, rollout: String) async throws {
        try await coordination.requestStop(StopRequest(rollout: rollout, model: model, version: version, replica: replica))
        try await refresh()
    }

    public func release(_ model: String, rollout: String) async {
        do {
            try await coordination.clearStop(rollout: rollout)
        } catch {
            logger.warning("cannot clear a stop in the store; the next round tries again", metadata: ["rollout": "\(rollout)", "error": "\(error)"])
        }
    }

    public func wait(notMatching etag: String?, seconds: Double) async -> (table: RoutingTable, json: [UInt8])? {
        await RoutingTablePublisher.wait(for: self, notMatching: etag, seconds: seconds)
    }

    public func run() async throws {
        var problem: String?
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let generation = try await coordination.routesGeneration()
                if UInt64(max(generation, 0)) != current?.table.generation { try await refresh() }
                if problem != nil { logger.info("reading the shared routes again") }
                problem = nil
            } catch {
                if problem == nil { logger.error("cannot read the shared routes; serving the last table read", metadata: ["error": "\(error)"]) }
                problem = "\(error)"
            }
            try? await Task.sleep(for: Self.pollInterval)
        }
    }

    /// Reads the table back from the store: every route, with the stops applied.
    func refresh() async throws {
        let (generation, shared) = try await coordination.routes()
        read.withLock { $0 = shared }
        let stops = Dictionary(try await coordination.stopRequests().map { ($0.model, $0.version) }) { first, _ in first }
        guard generation > 0 || !shared.isEmpty else { return }
        let models = try shared.map { entry -> ModelRoute in
            guard let version = stops[entry.route.model] else { return entry.route }
            return try ModelRoute(model: entry.route.model, stickyKey: entry.route.stickyKey, salt: entry.route.salt,
                                  variants: [.init(version: version, basisPoints: 10_000)])
        }
        // The revision most routes were published from (the replicas follow one branch, each a round apart).
        let counts = Dictionary(shared.map { ($0.revision, 1) }, uniquingKeysWith: +)
        let revision = counts.max { ($0.value, $0.key) < ($1.value, $1.key) }?.key ?? ""
        let table = try RoutingTable(generation: UInt64(max(generation, 0)), revision: revision, models: models)
        let json = try RoutingTablePublisher.json(table)
        served.withLock { current in
            // Never back to an older generation (a slower read finishing after a newer one).
            if current.map({ $0.table.generation < table.generation }) ?? true { current = (table, json) }
        }
    }
}
