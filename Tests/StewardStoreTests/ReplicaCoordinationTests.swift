import Foundation
import Logging
import StewardEngine
import StewardRouting
import StewardSpec
import StewardTesting
import Testing
@testable import StewardStore

/// How replicas sharing a PostgreSQL store divide the rollouts' shards and
/// fence one another, against a real server.
@Suite struct ReplicaCoordinationTests {
    /// Three replicas over one fresh database, and a way to let time pass
    /// for some leases: their expiry moved into the past by the database's own
    /// clock, as if their duration had run out without a renewal (no test
    /// waits on the clock, so a loaded machine's pauses decide nothing).
    static func replicas() async throws -> (stores: [any AgentStore], coordination: any ReplicaCoordination, expire: (String) throws -> Void) {
        let settings = try TestDatabase.fresh()
        var stores: [any AgentStore] = []
        for name in ["a", "b", "c"] { stores.append(try await PostgresAgentStore(settings: settings, agent: name, logger: Logger(label: "test"))) }
        let server = try TestDatabase.server.get()
        return (stores, try #require(stores[0].coordination), { condition in
            try server.sql("UPDATE lease SET expires = now() - interval '1 second' WHERE \(condition)", database: settings.database)
        })
    }

    @Test func shardsAreSharedFairlyAndAnExpiredShardIsTakenUnderANewTerm() async throws {
        let (_, leases, expire) = try await Self.replicas()
        // Alone, a replica takes every shard.
        let alone = try await leases.claim(replica: "a", host: "h1", shards: 16, duration: 30)
        #expect(alone.map(\.shard) == Array(0..<16) && alone.allSatisfy { $0.term == 1 })
        // A second replica gets nothing while a's leases run, and a renews only its share (8) from now on.
        #expect(try await leases.claim(replica: "b", host: "h2", shards: 16, duration: 30).isEmpty)
        let renewed = try await leases.claim(replica: "a", host: "h1", shards: 16, duration: 30)
        #expect(renewed.map(\.shard) == Array(0..<8) && renewed.allSatisfy { $0.term == 1 })
        // Once what a let go of has expired, b takes it, each shard under term 2.
        try expire("shard >= 8")
        #expect(try await leases.claim(replica: "a", host: "h1", shards: 16, duration: 30).map(\.shard) == Array(0..<8))
        let taken = try await leases.claim(replica: "b", host: "h2", shards: 16, duration: 30)
        #expect(taken.map(\.shard) == Array(8..<16) && taken.allSatisfy { $0.term == 2 }, "\(taken)")
        let table = try await leases.leases()
        #expect(table.filter { $0.holder == "a" }.count == 8 && table.filter { $0.holder == "b" }.count == 8)
        // A graceful stop gives a's shards up at once.
        try await leases.release(replica: "a")
        let afterRelease = try await leases.claim(replica: "b", host: "h2", shards: 16, duration: 30)
        #expect(afterRelease.count == 16 && afterRelease.filter { $0.shard < 8 }.allSatisfy { $0.term == 2 })
    }

    @Test func aStaleTermIsRefusedByTheJournalAndTheRoutes() async throws {
        let (stores, leases, expire) = try await Self.replicas()
        let first = try #require(try await leases.claim(replica: "a", host: "h1", shards: 4, duration: 30).first { $0.shard == 0 })
        let fenceA = Fence(shard: 0, term: first.term, replica: "a")
        let route = try ModelRoute(model: "m", stickyKey: "user", salt: "m", variants: [.init(version: "1.0.0", basisPoints: 10_000)])
        // While a holds shard 0, its writes go through.
        let id = try await stores[0].journal.begin(rollout: "r", kind: .setWeights, action: "setWeights 1.1.0 5%", revision: "abc", at: Date(), fence: fenceA)
        try await stores[0].journal.finish(id)
        try await leases.publish([FencedRoute(route: route, fence: fenceA, revision: "abc")])
        let before = try await leases.routes()
        #expect(before.routes.map(\.route) == [route] && before.routes.first?.term == first.term)
        // a is paused past its lease; b takes the shard under the next term.
        try expire("holder = 'a'")
        let takenOver = try #require(try await leases.claim(replica: "b", host: "h2", shards: 4, duration: 30).first { $0.shard == 0 })
        #expect(takenOver.term == first.term + 1)
        // a wakes up and acts on what it held: refused, and nothing is written.
        await #expect(throws: StaleTerm.self) {
            _ = try await stores[0].journal.begin(rollout: "r", kind: .promote, action: "promote 1.1.0", revision: "abc", at: Date(), fence: fenceA)
        }
        let moved = try ModelRoute(model: "m", stickyKey: "user", salt: "m", variants: [.init(version: "1.1.0", basisPoints: 10_000)])
        await #expect(throws: StaleTerm.self) { try await leases.publish([FencedRoute(route: moved, fence: fenceA, revision: "abc")]) }
        #expect(try await stores[1].journal.recent(10).map(\.action) == ["setWeights 1.1.0 5%"])
        #expect(try await leases.routes() == before)
        // b's writes under its term go through, and bump the generation.
        let fenceB = Fence(shard: 0, term: takenOver.term, replica: "b")
        try await leases.publish([FencedRoute(route: moved, fence: fenceB, revision: "def")])
        let after = try await leases.routes()
        #expect(after.generation == before.generation + 1 && after.routes.map(\.route) == [moved])
        // The same route again changes nothing.
        try await leases.publish([FencedRoute(route: moved, fence: fenceB, revision: "def")])
        #expect(try await leases.routesGeneration() == after.generation)
        // A route whose rollout is gone is removed by the shard's holder only, and only from that shard.
        await #expect(throws: StaleTerm.self) { try await leases.retire(["m"], fence: fenceA) }
        try await leases.retire(["m"], fence: Fence(shard: 1, term: takenOver.term, replica: "b"))
        #expect(try await leases.routes().routes.map(\.route) == [moved])
        try await leases.retire(["m"], fence: fenceB)
        let retired = try await leases.routes()
        #expect(retired.routes.isEmpty && retired.generation == after.generation + 1)
    }

    @Test func aStopAskedOfAnyReplicaIsSeenByAllUntilCleared() async throws {
        let (stores, _, _) = try await Self.replicas()
        let a = try #require(stores[0].coordination), c = try #require(stores[2].coordination)
        let generation = try await c.routesGeneration()
        try await a.requestStop(StopRequest(rollout: "r", model: "m", version: "1.0.0", replica: "a"))
        #expect(try await c.stopRequests() == [StopRequest(rollout: "r", model: "m", version: "1.0.0", replica: "a")])
        #expect(try await c.routesGeneration() == generation + 1)
        try await c.clearStop(rollout: "r")
        #expect(try await a.stopRequests().isEmpty)
        #expect(try await a.routesGeneration() == generation + 2)
    }
}

extension SharedRoute: CustomStringConvertible {
    public var description: String { "\(route.model) term \(term)" }
}
