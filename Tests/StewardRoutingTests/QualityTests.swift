import StewardEngine
@testable import StewardRouting
import StewardSimulation
import Testing

@Suite struct QualityTests {
    /// Chi-squared over 1,000,000 keys in 10,000 buckets stays under the
    /// 99.9% quantile of its distribution (Wilson–Hilferty approximation).
    @Test func bucketsAreUniform() {
        var counts = [Int](repeating: 0, count: 10_000)
        let prefix = StickyHash.prefixState(salt: "customer-support-agent")
        for i in 0..<1_000_000 {
            counts[StickyHash.bucket(prefixState: prefix, key: "user-\(i)")] += 1
        }
        let expected = 100.0
        let chiSquared = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        let df = 9999.0
        let z999 = 3.090232
        let bound = df * pow3(1 - 2 / (9 * df) + z999 * (2 / (9 * df)).squareRoot())
        #expect(chiSquared < bound, "chi-squared \(chiSquared) over bound \(bound)")
        // And not suspiciously perfect (a counter, not a hash, would give ~0).
        #expect(chiSquared > df / 2)
    }

    private func pow3(_ x: Double) -> Double { x * x * x }

    /// Raising the canary's share only ever moves keys from stable to the
    /// canary; lowering it only moves them back.
    @Test func rampsAreMonotonic() throws {
        var generator = SeededRandom(seed: 42)
        let keys = (0..<5_000).map { "key-\($0)-\(generator.next())" }
        for _ in 0..<20 {
            var shares = (0..<8).map { _ in Int(generator.next() % 10_001) }.sorted()
            if generator.next() % 2 == 0 { shares.reverse() }
            let rising = shares.first! <= shares.last!
            var previous: [String]?
            for share in shares {
                let route = try ModelRoute(model: "m", stickyKey: "user_id", salt: "m", variants: [
                    .init(version: "experiment-a", basisPoints: 1000),
                    .init(version: "canary", basisPoints: share * 9 / 10),
                    .init(version: "stable", basisPoints: 9000 - share * 9 / 10),
                ])
                let now = keys.map { route.route(key: $0) }
                if let previous {
                    for (before, after) in zip(previous, now) where before != after {
                        if rising {
                            #expect(before == "stable" && after == "canary")
                        } else {
                            #expect(before == "canary" && after == "stable")
                        }
                    }
                    // The other variant never moves.
                    #expect(zip(previous, now).allSatisfy { ($0 == "experiment-a") == ($1 == "experiment-a") })
                }
                previous = now
            }
        }
    }

    @Test func sameKeySameVersionAndSaltReshuffles() throws {
        let variants: [ModelRoute.Variant] = [.init(version: "b", basisPoints: 5000), .init(version: "a", basisPoints: 5000)]
        let one = try ModelRoute(model: "m", stickyKey: "user_id", salt: "one", variants: variants)
        let again = try ModelRoute(model: "m", stickyKey: "user_id", salt: "one", variants: variants)
        let other = try ModelRoute(model: "m", stickyKey: "user_id", salt: "two", variants: variants)
        let keys = (0..<2_000).map { "u\($0)" }
        #expect(keys.map(one.route) == keys.map(again.route))
        let moved = zip(keys.map(one.route), keys.map(other.route)).count { $0 != $1 }
        #expect((800...1200).contains(moved), "a new salt moved \(moved) of 2000 keys")
    }

    @Test func requestsWithoutAKeySpreadUniformly() throws {
        let route = try ModelRoute(model: "m", stickyKey: "user_id", salt: "m", variants: [
            .init(version: "canary", basisPoints: 2000), .init(version: "stable", basisPoints: 8000),
        ])
        let canary = (0..<20_000).count { _ in route.route(key: nil) == "canary" }
        // 4,000 expected; 6 standard deviations (~340) either side.
        #expect((3_650...4_350).contains(canary), "\(canary)")
    }

    @Test func invalidTablesAreRefused() throws {
        #expect(throws: RoutingError.sharesDoNotSum(model: "m", total: 9_999)) {
            try ModelRoute(model: "m", stickyKey: "k", salt: "m", variants: [.init(version: "a", basisPoints: 9_999)])
        }
        #expect(throws: RoutingError.negativeShare(model: "m", version: "a")) {
            try ModelRoute(model: "m", stickyKey: "k", salt: "m", variants: [
                .init(version: "a", basisPoints: -1), .init(version: "b", basisPoints: 10_001)])
        }
        #expect(throws: RoutingError.noVariants(model: "m")) {
            try ModelRoute(model: "m", stickyKey: "k", salt: "m", variants: [])
        }
        let route = try ModelRoute(model: "m", stickyKey: "k", salt: "m", variants: [.init(version: "a", basisPoints: 10_000)])
        #expect(throws: RoutingError.duplicateModel("m")) {
            try RoutingTable(generation: 1, revision: "r", models: [route, route])
        }
        let table = try RoutingTable(generation: 1, revision: "r", models: [route])
        #expect(table.route(model: "m", key: "x") == "a")
        #expect(table.route(model: "nope", key: "x") == nil)
    }
}


/// The library gateways embed never traps on input.
@Suite struct RoutingInputTests {
    @Test func sharesThatWouldOverflowAreAnError() {
        #expect(throws: RoutingError.self) {
            try ModelRoute(model: "m", stickyKey: "k", salt: "m", variants: [
                .init(version: "1", basisPoints: Int.max), .init(version: "2", basisPoints: Int.max),
            ])
        }
        #expect(throws: RoutingError.sharesDoNotSum(model: "m", total: 20_000)) {
            try ModelRoute(model: "m", stickyKey: "k", salt: "m", variants: [
                .init(version: "1", basisPoints: 10_000), .init(version: "2", basisPoints: 10_000),
            ])
        }
    }
}
