// swift-tools-version: 6.1
import PackageDescription

/// A suite for `swift package benchmark` (ordo-one/benchmark) in Benchmarks/<name>.
func benchmark(_ name: String, measuring module: Target.Dependency) -> Target {
    .executableTarget(
        name: name,
        dependencies: [module, .product(name: "Benchmark", package: "benchmark")],
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
            dependencies: ["StewardSpec", "StewardYAML", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
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
        benchmark("RoutingBenchmarks", measuring: "StewardRouting"),
        benchmark("ValidateBenchmarks", measuring: "StewardSpec"),
        benchmark("PlanBenchmarks", measuring: "StewardEngine"),
        benchmark("GitBenchmarks", measuring: "StewardGit"),
        .testTarget(name: "StewardYAMLTests", dependencies: ["StewardYAML"]),
        .testTarget(name: "StewardSpecTests", dependencies: ["StewardSpec"]),
        .testTarget(name: "StewardRoutingTests", dependencies: ["StewardRouting"]),
        .testTarget(name: "StewardEngineTests", dependencies: ["StewardEngine"]),
        .testTarget(name: "StewardGitTests", dependencies: ["StewardGit"]),
        .testTarget(name: "StewardCLITests", dependencies: ["StewardCLI", "steward"]),
    ]
)
