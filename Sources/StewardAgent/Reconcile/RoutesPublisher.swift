import StewardRouting
import StewardStore

/// Where the routing table goes out to gateways. The reconciler publishes
/// the routes its statuses ask for every round and holds a model on stable
/// at an emergency stop; the HTTP API serves the table with its ETag and
/// long-poll. ``RoutingTablePublisher`` keeps it in memory and in the
/// routing file, for one agent; ``SharedRoutesPublisher`` keeps it in the
/// store that several replicas share, each serving all of it.
public protocol RoutesPublisher: Sendable {
    /// The table served now, and its bytes.
    var current: (table: RoutingTable, json: [UInt8])? { get }

    /// Publishes routes for these models if they differ from what is served,
    /// as a new generation; returns whether anything changed. `fences`: when
    /// replicas share the table, the lease each model's route is written
    /// under, for every model the desired state has in the shards this
    /// replica holds (a route of any other model in them is removed); one
    /// agent gives none.
    @discardableResult
    func publish(_ models: [ModelRoute], revision: String, fences: [String: Fence]) async throws -> Bool

    /// Sends all of a rollout's model's traffic to `version` now, and keeps
    /// it there through every later publish until `release(_:rollout:)`: an
    /// emergency stop in force before any round has taken it up.
    func hold(_ model: String, on version: String, rollout: String) async throws

    /// Lets publishes route `model` as they ask again.
    func release(_ model: String, rollout: String) async

    /// Waits up to `seconds` for a table other than `etag`; returns the current one.
    func wait(notMatching etag: String?, seconds: Double) async -> (table: RoutingTable, json: [UInt8])?
}

extension RoutesPublisher {
    /// The ETag of the table served now.
    public var etag: String? { current.map { "\"\($0.table.generation)\"" } }
}
