import Benchmark
import StewardRouting

/// The gateway's hot path: one sticky decision, and building a large table.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 1_000,
        maxDuration: .seconds(3)
    )

    let table = makeTable(models: 1_000)
    let keys = (0..<1_024).map { "user-\($0 * 7919)" }
    let modelNames = (0..<512).map { "model-\($0)" }

    // Each iteration routes a batch of 1,000 keys; divide by 1,000 for one decision.
    Benchmark("route 1,000 decisions (canary table, key of ~10 bytes)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for i in benchmark.scaledIterations {
            blackHole(table.route(model: modelNames[i & 511], key: keys[i & 1023]))
        }
    }

    let route = table["model-7"]!
    Benchmark("route 1,000 decisions (route resolved once)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for i in benchmark.scaledIterations {
            blackHole(route.route(key: keys[i & 1023]))
        }
    }

    Benchmark("build a table of 1,000 models") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(makeTable(models: 1_000))
        }
    }
}

func makeTable(models: Int) -> RoutingTable {
    let routes = (0..<models).map { m in
        try! ModelRoute(
            model: "model-\(m)", stickyKey: "user_id", salt: "model-\(m)",
            variants: [.init(version: "1.\(m % 10).1", basisPoints: 500 + m % 3_000),
                       .init(version: "1.\(m % 10).0", basisPoints: 9_500 - m % 3_000)])
    }
    return try! RoutingTable(generation: 1, revision: "bench", models: routes)
}
