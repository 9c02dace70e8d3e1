import Benchmark
import Foundation
import StewardSpec

/// `steward validate` on a generated repository of 1,000 models x 10
/// versions and 1,000 rollouts (`make bench` writes it with
/// scripts/generate_repo.py; STEWARD_BENCH_REPO names another).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal],
        maxDuration: .seconds(10),
        maxIterations: 20
    )

    let repo = ProcessInfo.processInfo.environment["STEWARD_BENCH_REPO"] ?? ".build/bench-repo"
    guard FileManager.default.fileExists(atPath: repo + "/models") else {
        print("ValidateBenchmarks: no repository at \(repo); run `make bench`, or: python3 scripts/generate_repo.py \(repo)")
        return
    }
    let loader = DesiredStateLoader()

    Benchmark("validate 1,000 models x 10 versions + 1,000 rollouts (from disk)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try loader.load(directory: repo))
        }
    }

    // The same files, already in memory: parsing, decoding and validation only.
    let files = (try? loader.load(directory: repo).files)?.compactMap { path in
        FileManager.default.contents(atPath: path).map { SourceFile(path: path, bytes: [UInt8]($0)) }
    } ?? []
    Benchmark("validate the same files from memory") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(loader.load(files))
        }
    }
}
