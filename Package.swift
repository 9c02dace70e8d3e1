// swift-tools-version: 6.1
import PackageDescription

/// A suite for `swift package benchmark` (ordo-one/benchmark) in Benchmarks/<name>.
func benchmark(_ name: String, measuring modules: Target.Dependency...) -> Target {
    .executableTarget(
        name: name,
        dependencies: modules + [.product(name: "Benchmark", package: "benchmark")],
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "Steward",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "steward", targets: ["steward"]),
        .library(name: "StewardYAML", targets: ["StewardYAML"]),
        .library(name: "StewardSpec", targets: ["StewardSpec"]),
        .library(name: "StewardRouting", targets: ["StewardRouting"]),
        .library(name: "StewardGit", targets: ["StewardGit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .systemLibrary(
            name: "CGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .target(name: "StewardGit", dependencies: ["CGit2", "StewardYAML"]),
        .target(name: "StewardRouting"),
        .target(name: "StewardYAML", dependencies: ["CYAML"]),
        .target(name: "StewardSpec", dependencies: ["StewardYAML"]),
        .target(
            name: "StewardEngine",
            dependencies: ["StewardSpec", "StewardYAML", .product(name: "Histogram", package: "hdrhistogram-swift")],
            // Optimized in debug builds too: the test suite's closed-loop simulations (hundreds of
            // thousands of planned minutes) are most of `make test`'s time unoptimized.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        // The closed-loop simulators, the world generator and the suite's measures: what judges the engine, apart from it.
        .target(
            name: "StewardSimulation",
            dependencies: ["StewardEngine", "StewardSpec", "StewardYAML"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(
            name: "StewardCLI",
            dependencies: [
                "StewardAgent",
                "StewardSpec",
                "StewardEngine",
                "StewardStore",
                "StewardSimulation",
                "StewardGit",
                "StewardRouting",
                "StewardYAML",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // OTLP's trace messages (the part Steward reads), generated from Protos/ by scripts/generate_otlp.sh and committed.
        .target(
            name: "StewardOTLP",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Protos"]
        ),
        .target(
            name: "StewardStore",
            dependencies: ["StewardEngine", "StewardSpec", "StewardRouting", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "StewardMetrics",
            dependencies: [
                "StewardEngine", "StewardSpec",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "StewardAgent",
            dependencies: [
                "StewardMetrics", "StewardStore", "StewardEngine", "StewardSpec", "StewardGit", "StewardRouting", "StewardYAML", "StewardOTLP",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(name: "steward", dependencies: ["StewardCLI"]),
        // libFuzzer targets (make fuzz); built plainly, it replays inputs: steward-fuzz TARGET FILE…
        .executableTarget(name: "steward-fuzz", dependencies: ["StewardSpec", "StewardEngine", "StewardSimulation", "StewardRouting", "StewardYAML", "StewardAgent",
                                                              .product(name: "Crypto", package: "swift-crypto"),
                                                              .product(name: "HTTPTypes", package: "swift-http-types")], path: "Fuzz"),
        benchmark("RoutingBenchmarks", measuring: "StewardRouting"),
        benchmark("ValidateBenchmarks", measuring: "StewardSpec"),
        benchmark("PlanBenchmarks", measuring: "StewardEngine", "StewardSimulation", "StewardSpec", "StewardYAML"),
        benchmark("GitBenchmarks", measuring: "StewardGit"),
        // What the test suites share: fixtures and loopback helpers.
        .target(name: "StewardTesting", dependencies: [.product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "StewardYAMLTests", dependencies: ["StewardYAML"]),
        .testTarget(name: "StewardSpecTests", dependencies: ["StewardSpec", "StewardYAML", "StewardTesting"]),
        .testTarget(name: "StewardRoutingTests", dependencies: ["StewardRouting", "StewardEngine", "StewardSimulation", "StewardTesting"]),
        .testTarget(name: "StewardEngineTests", dependencies: ["StewardEngine", "StewardSimulation", "StewardSpec", "StewardYAML", "StewardTesting"]),
        .testTarget(name: "StewardGitTests", dependencies: ["StewardGit", "StewardYAML"]),
        .testTarget(name: "StewardStoreTests", dependencies: ["StewardStore", "StewardEngine", "StewardSpec", "StewardRouting", "StewardTesting",
                                                            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "StewardMetricsTests", dependencies: ["StewardMetrics", "StewardEngine", "StewardSpec"]),
        .testTarget(name: "StewardAgentTests", dependencies: ["StewardAgent", "StewardStore", "StewardEngine", "StewardSimulation", "StewardSpec", "StewardYAML", "StewardGit", "StewardOTLP", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                                                            "StewardRouting", "StewardTesting", .product(name: "Hummingbird", package: "hummingbird"),
                                                            .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(
            name: "StewardCLITests",
            dependencies: ["StewardCLI", "StewardAgent", "StewardMetrics", "StewardEngine", "StewardSimulation", "StewardSpec", "StewardGit", "StewardYAML", "StewardTesting",
                           "StewardStore",
                           "StewardOTLP", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                           "steward", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Hummingbird", package: "hummingbird")]
        ),
    ]
)

// Every Swift target: `any` spelled out for existentials, and a module uses only the members of what it imports itself.
for target in package.targets where target.type != .system && target.type != .plugin {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("MemberImportVisibility")]
}
