// swift-tools-version: 6.1
import PackageDescription

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
        .target(name: "StewardEngine", dependencies: ["StewardSpec"]),
        .target(
            name: "StewardCLI",
            dependencies: [
                "StewardSpec",
                "StewardEngine",
                "StewardGit",
                "StewardRouting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "steward", dependencies: ["StewardCLI"]),
        .executableTarget(
            name: "RoutingBenchmarks",
            dependencies: ["StewardRouting", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/RoutingBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ValidateBenchmarks",
            dependencies: ["StewardSpec", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/ValidateBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PlanBenchmarks",
            dependencies: ["StewardEngine", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/PlanBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "GitBenchmarks",
            dependencies: ["StewardGit", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/GitBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .testTarget(name: "StewardYAMLTests", dependencies: ["StewardYAML"]),
        .testTarget(name: "StewardSpecTests", dependencies: ["StewardSpec"]),
        .testTarget(name: "StewardRoutingTests", dependencies: ["StewardRouting"]),
        .testTarget(name: "StewardEngineTests", dependencies: ["StewardEngine"]),
        .testTarget(name: "StewardGitTests", dependencies: ["StewardGit"]),
        .testTarget(name: "StewardCLITests", dependencies: ["StewardCLI", "steward"]),
    ]
)
