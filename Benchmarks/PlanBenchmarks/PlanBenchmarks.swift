import Benchmark
import Foundation
import StewardEngine
import StewardSimulation
import StewardSpec
import StewardYAML

/// Planning 1,000 canary rollouts with evidence for every metric of every
/// version, mid-rollout (the generated repository of `make bench`); and the
/// power analysis of one scenario, 200 closed-loop runs on one core, as
/// `steward simulate --scenario FILE --runs 200` does (on every core).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal],
        maxDuration: .seconds(5)
    )

    powerAnalysisBenchmark()
    replayBenchmarks()

    let repo = ProcessInfo.processInfo.environment["STEWARD_BENCH_REPO"] ?? ".build/bench-repo"
    guard let loaded = try? DesiredStateLoader().load(directory: repo), loaded.state.rollouts.count >= 1_000 else {
        print("PlanBenchmarks: no repository at \(repo); run `make bench`")
        return
    }
    let desired = loaded.state
    let start = Moment(secondsSinceEpoch: 1_800_000_000)

    // Walk every rollout to its first weight (5%, then a 30-minute pause);
    // 31 minutes later the pause is over and the analysis step judges a
    // window for every metric of both versions: the busy case.
    let first = Planner.plan(desired: desired, observed: [:], evidence: Evidence(), now: start)
    var observed: [String: RolloutStatus] = [:]
    for case .writeStatus(let name, let status) in first { observed[name] = status }
    let now = start + 31 * 60
    var evidence = Evidence()
    for rollout in desired.rollouts.values {
        for version in [rollout.stable] + (rollout.canary.map { [$0] } ?? []) {
            for metric in ["error-rate", "latency"] {
                evidence.record(MetricReading(metric: metric, version: version, windowStart: now + -60, windowEnd: now,
                                            value: metric == "error-rate" ? 0.01 : 900, samples: 500))
            }
        }
    }

    Benchmark("plan 1,000 rollouts with evidence") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Planner.plan(desired: desired, observed: observed, evidence: evidence, now: now))
        }
    }
}

/// 200 runs of a healthy canary at 300 requests a minute (the longest kind:
/// it walks every step to its promotion) with the quickstart's template.
func powerAnalysisBenchmark() {
    let bag = DiagnosticBag()
    let file = "examples/simulations/scenarios/056-healthy-300rpm-1.yaml"
    guard let quickstart = try? DesiredStateLoader().load(directory: "examples/quickstart"), quickstart.isValid,
          let bytes = FileManager.default.contents(atPath: file),
          let scenario = TrafficScenario.decode(Array(bytes), file: file, bag: bag) else {
        print("PlanBenchmarks: run from the package root to find \(file)")
        return
    }
    Benchmark("power analysis: 200 runs of one scenario", configuration: .init(metrics: [.wallClock, .cpuTotal], maxIterations: 3)) { _ in
        for seed in 0..<200 {
            var controller = PlannerController(desired: quickstart.state, rollout: scenario.rollout)
            blackHole(ClosedLoopSimulator.run(scenario, controller: &controller, seed: UInt64(seed)))
        }
    }
}

/// `steward simulate --metrics` over a series of 5,000 and of 10,000 minutes
/// (three metrics of both versions a minute; the canary ends waiting for a
/// person at 35%, judged every minute): the second should take twice the
/// first, not four times.
func replayBenchmarks() {
    guard let quickstart = try? DesiredStateLoader().load(directory: "examples/quickstart"), quickstart.isValid else {
        print("PlanBenchmarks: run from the package root to find examples/quickstart")
        return
    }
    let start = Moment(secondsSinceEpoch: 1_800_000_000)
    for minutes in [5_000, 10_000] {
        var generator = SystemRandomNumberGenerator()
        let readings = (1...minutes).flatMap { minute in
            let end = start + Double(minute * 60)
            return [SemanticVersion(2, 3, 1), SemanticVersion(2, 4, 0)].flatMap { version in
                [("error-rate", 0.01 + Double.random(in: 0..<0.002, using: &generator), 200),
                 ("latency-p95", 900 + Double.random(in: 0..<50, using: &generator), 200),
                 ("user-rating", 4.1 + Double.random(in: 0..<0.1, using: &generator), 20)].map { metric, value, samples in
                    MetricReading(metric: metric, version: version, windowStart: end + -60, windowEnd: end, value: value, samples: samples)
                }
            }
        }
        let simulator = Simulator(desired: quickstart.state)
        Benchmark("replay a \(minutes)-minute series (simulate --metrics)", configuration: .init(maxIterations: 5)) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(simulator.run(measurements: readings, from: start, to: start + Double(minutes * 60)))
            }
        }
    }
}
