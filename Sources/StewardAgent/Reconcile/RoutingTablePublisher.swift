import Foundation
import ServiceLifecycle
import StewardEngine
import StewardRouting
import StewardSpec
import StewardStore
import Synchronization

/// What gateways route by: the routing table, kept in memory for the API
/// (an ETag, its generation, and long-poll) and, given a path, written
/// atomically to a file. Without a path it is the in-memory publisher (an
/// embedded agent, tests).
public final class RoutingTablePublisher: RoutesPublisher {
    private let state: Mutex<State>
    let path: String?

    struct State {
        var table: RoutingTable?
        var json: [UInt8] = []
        /// Models whose traffic is held on one version (an API stop), whatever a publish asks.
        var held: [String: String] = [:]
        /// The file is older than the table served over HTTP (its write failed).
        var fileBehind = false
    }

    /// - Parameter path: the routing file; an existing one is served until
    ///   the first reconcile, so a restarted agent keeps gateways routing.
    ///   Nil: the table is kept in memory only.
    public init(path: String?) {
        self.path = path
        var initial = State()
        if let path, let data = FileManager.default.contents(atPath: path), let table = try? JSONDecoder().decode(RoutingTable.self, from: data) {
            initial.table = table
            initial.json = [UInt8](data)
        }
        state = Mutex(initial)
    }

    /// The table served now, and its bytes.
    public var current: (table: RoutingTable, json: [UInt8])? {
        state.withLock { state in state.table.map { ($0, state.json) } }
    }

    /// Publishes over HTTP and to the file (temp file, fsync, rename); a file
    /// that could not be written is written again on the next publish.
    @discardableResult
    public func publish(_ models: [ModelRoute], revision: String, fences: [String: Fence] = [:]) throws -> Bool {
        try state.withLock { state throws -> Bool in try Self.publish(models, revision: revision, into: &state, path: path) }
    }

    public func hold(_ model: String, on version: String, rollout: String) throws {
        try state.withLock { state throws in
            state.held[model] = version
            guard let served = state.table else { return }
            _ = try Self.publish(served.models, revision: served.revision, into: &state, path: path)
        }
    }

    public func release(_ model: String, rollout: String) {
        state.withLock { _ = $0.held.removeValue(forKey: model) }
    }

    /// Under the lock, so that a stop and a round never write the file at once.
    private static func publish(_ models: [ModelRoute], revision: String, into state: inout State, path: String?) throws -> Bool {
        let models = try models.map { route in
            guard let version = state.held[route.model] else { return route }
            return try ModelRoute(model: route.model, stickyKey: route.stickyKey, salt: route.salt,
                                  variants: [.init(version: version, basisPoints: 10_000)])
        }
        if let served = state.table, served.models == models {
            guard state.fileBehind, let path else { return false }
            try writeAtomically(state.json, to: path)
            state.fileBehind = false
            return false
        }
        let table = try RoutingTable(generation: (state.table?.generation ?? 0) + 1, revision: revision, models: models)
        let json = try json(table)
        // Gateways that long-poll get the change even when the file cannot be written (a full disk); the file follows.
        state.table = table
        state.json = json
        guard let path else { return true }
        state.fileBehind = true
        try writeAtomically(json, to: path)
        state.fileBehind = false
        return true
    }

    public func wait(notMatching etag: String?, seconds: Double) async -> (table: RoutingTable, json: [UInt8])? {
        await Self.wait(for: self, notMatching: etag, seconds: seconds)
    }

    /// Polls `publisher` until its table is not `etag`, `seconds` (at most a minute) pass, or the agent stops.
    static func wait(for publisher: some RoutesPublisher, notMatching etag: String?, seconds: Double) async -> (table: RoutingTable, json: [UInt8])? {
        let deadline = Date().addingTimeInterval(min(max(seconds, 0), 60))
        // A long-poll ends early when the agent stops, so that SIGTERM is not held up by a client's wait.
        while etag != nil, publisher.etag == etag, Date() < deadline, !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return publisher.current
    }

    /// The bytes gateways are served: sorted keys, pretty, a newline at the end.
    static func json(_ table: RoutingTable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return [UInt8](try encoder.encode(table)) + [10]
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw PublishError(path: temporary, errno: errno) }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else {
                close(fd)
                throw PublishError(path: temporary, errno: errno)
            }
            written += n
        }
        guard fsync(fd) == 0, close(fd) == 0 else { throw PublishError(path: temporary, errno: errno) }
        guard rename(temporary, path) == 0 else { throw PublishError(path: path, errno: errno) }
    }

    struct PublishError: Error, CustomStringConvertible {
        var path: String
        var errno: Int32
        var description: String { "cannot write \(path): \(String(cString: strerror(errno)))" }
    }
}

extension RoutingTablePublisher {
    /// The routes a set of rollout statuses asks for: the canary first (so
    /// that a growing canary keeps its users), then stable.
    static func routes(for statuses: [String: RolloutStatus], desired: DesiredState) throws -> [ModelRoute] {
        try statuses.keys.sorted().compactMap { name -> ModelRoute? in
            guard let rollout = desired.rollouts[name], let status = statuses[name] else { return nil }
            var variants: [ModelRoute.Variant] = []
            if !status.split.isEmpty, status.phase == .progressing {
                variants = status.split.map { .init(version: $0.version.description, basisPoints: $0.percent * 100) }
            } else {
                if let canary = status.canary, status.canaryWeight > 0 {
                    variants.append(.init(version: canary.description, basisPoints: status.canaryWeight * 100))
                }
                if status.canaryWeight < 100 {
                    variants.append(.init(version: status.stable.description, basisPoints: (100 - status.canaryWeight) * 100))
                }
            }
            return try ModelRoute(model: rollout.model, stickyKey: rollout.stickyKey, salt: rollout.model, variants: variants)
        }
    }
}
