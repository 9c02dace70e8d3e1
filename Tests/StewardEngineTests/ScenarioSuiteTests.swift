import Foundation
import StewardEngine
import StewardSimulation
import StewardSpec
import StewardTesting
import StewardYAML
import Testing

/// The public scenario suite (examples/simulations/scenarios), closed-loop,
/// with the quickstart's template: the engine's decisions against a
/// Flagger-style baseline on the same seeded traffic.
@Suite struct ScenarioSuiteTests {
    static let root = SourceTree.root

    /// Seeds per scenario in `make test`; `steward simulate --scenario DIR --runs N` runs more.
    static let seeds = Int(ProcessInfo.processInfo.environment["STEWARD_SUITE_SEEDS"] ?? "") ?? 3

    static func scenarios() throws -> [TrafficScenario] {
        let directory = root + "/examples/simulations/scenarios"
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted().map { name in
            let bag = DiagnosticBag()
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
            guard let scenario = TrafficScenario.decode(bytes, file: name, bag: bag) else {
                throw SuiteError.invalid(bag.diagnostics.map(\.description))
            }
            return scenario
        }
    }

    static func quickstart() throws -> DesiredState {
        let loaded = try DesiredStateLoader().load(directory: root + "/examples/quickstart")
        guard loaded.isValid else { throw SuiteError.invalid(loaded.diagnostics.map(\.description)) }
        return loaded.state
    }

    enum SuiteError: Error { case invalid([String]) }

    @Test func theSuiteHasRegressionsAndHealthyCanariesOfEveryKind() throws {
        let suite = try Self.scenarios()
        #expect(suite.count >= 100)
        #expect(suite.filter(\.regression).count >= 40)
        #expect(suite.filter { !$0.regression }.count >= 40)
        #expect(suite.contains { $0.requestsPerMinute <= 20 })
        #expect(suite.contains { $0.events.contains(where: \.gap) })
        #expect(suite.contains { $0.events.contains { $0.target == .both } })
        #expect(suite.contains { $0.events.contains { $0.minWeight > 0 } })
        #expect(suite.contains { $0.events.contains(where: \.drift) })
    }

    typealias Results = [(scenario: TrafficScenario, runs: [ClosedLoopSimulator.Run])]

    /// Every scenario of the suite, each seed, under one controller, on every core.
    static func runSuite(_ suite: [TrafficScenario], _ controller: @escaping @Sendable (TrafficScenario) throws -> some RolloutController) throws -> Results {
        try zip(suite, onEveryCore(suite) { scenario in
            try (0..<UInt64(seeds)).map { seed in
                var c = try controller(scenario)
                return ClosedLoopSimulator.run(scenario, controller: &c, seed: scenario.seed &+ seed)
            }
        }).map { ($0, $1) }
    }

    /// `transform` of each item, the items shared among the cores (the
    /// suite runs one test at a time, and a world's runs are independent).
    static func onEveryCore<T: Sendable, R: Sendable>(_ items: [T], _ transform: @escaping @Sendable (T) throws -> R) throws -> [R] {
        let lock = NSLock()
        nonisolated(unsafe) var results = [Result<R, any Error>?](repeating: nil, count: items.count)
        DispatchQueue.concurrentPerform(iterations: items.count) { i in
            let result = Result { try transform(items[i]) }
            lock.withLock { results[i] = result }
        }
        return try results.map { try $0!.get() }
    }

    @Test func theEngineDecidesWellOnThePublicSuite() throws {
        let desired = try Self.quickstart()
        let suite = try Self.scenarios()
        let results = try Self.runSuite(suite) { PlannerController(desired: desired, rollout: $0.rollout) }
        let ours = SuiteSummary(results)
        func flagger(_ threshold: Int) throws -> SuiteSummary {
            try SuiteSummary(Self.runSuite(suite) { try #require(FlaggerBaseline(desired: desired, rollout: $0.rollout, failureThreshold: threshold)) })
        }
        let theirs = try flagger(5)
        // The same baseline held to our false-rollback budget: at 10 and 20 failures in a row it still rolls back 22% and 8% of
        // healthy canaries (measured, see the note); 40 is the first doubling within 2%.
        let threshold = 40
        let tuned = try flagger(threshold)
        print("steward, \(Self.seeds) seeds per scenario:\n\(ours.text)\nFlagger-style baseline:\n\(theirs.text)"
              + "\nthe baseline at \(threshold) failures in a row, its false rollbacks within budget:\n\(tuned.text)")
        #expect(ours.flaps == 0, "a pause and its lifting within one look")
        #expect(ours.detectionRate >= 0.95, "\(ours.text)")
        #expect(ours.falseRollbackRate <= 0.02, "\(ours.text)")
        #expect(ours.promotionRate >= 0.95, "\(ours.text)")
        #expect(ours.falseRollbackRate < theirs.falseRollbackRate, "\(ours.text)\n\(theirs.text)")
        #expect(ours.promotionRate > theirs.promotionRate, "\(ours.text)\n\(theirs.text)")
        // The baseline at 5 failures serves fewer bad requests only by rolling back most canaries, healthy or not (see the
        // note of the analysis issue); held to the same false-rollback budget it serves many times ours.
        #expect(tuned.falseRollbackRate <= 0.02)
        #expect(ours.badRequests * 2 <= tuned.badRequests, "\(ours.text)\n\(tuned.text)")
        #expect(ours.detectionRate > tuned.detectionRate, "\(ours.text)\n\(tuned.text)")
        // What no analysis within our false-rollback level could do better than, on the constant rate regressions alone.
        let bound = try Self.exposureBound(desired, suite)
        print("the fewest bad requests any analysis at our false-rollback level could serve on the \(bound.scenarios) constant "
              + "rate regressions alone, \(Self.seeds) seeds each (Wald's bound): \(Int(bound.requests)); half the baseline's: \(theirs.badRequests / 2)")
        #expect(bound.scenarios >= 20)
        let oursOnThem = SuiteSummary(results.filter { bound.names.contains($0.scenario.name) }).badRequests
        print("ours on those scenarios: \(oursOnThem), \(Verdict.format(Double(oursOnThem) / bound.requests))× Wald's bound")
        #expect(Double(ours.badRequests) >= bound.requests, "no analysis beats Wald's bound: the simulator's count is wrong")
    }

    /// A fresh draw of randomized worlds (`WorldGenerator`), one run each,
    /// labelled by the template's own rules: a seed the analysis was not
    /// tuned on (seeds 1 and 2 were used while changing it, 3 and 20261206 looked at in passing). The figures are
    /// printed beside the baseline's; the assertions hold what the analysis
    /// reached on it (short of the decisions issue's targets, see its note),
    /// so that a change that loses ground fails here. `STEWARD_FRESH_SEED=N`
    /// draws another seed beside the baseline, to report on one never seen.
    static let freshSeed = UInt64(ProcessInfo.processInfo.environment["STEWARD_FRESH_SEED"] ?? "") ?? 90_210

    @Test func theEngineDecidesWellOnARandomizedDraw() throws {
        let desired = try Self.quickstart()
        let rollout = try #require(desired.rollouts["customer-support-agent"])
        let rules = RegressionRules(desired: desired, rollout: rollout)
        let worlds = WorldGenerator.draw(seed: Self.freshSeed, count: 300, rollout: rollout.metadata.name)
        func summary(_ controller: @escaping @Sendable (TrafficScenario) throws -> some RolloutController) throws -> SuiteSummary {
            SuiteSummary(try zip(worlds, Self.onEveryCore(worlds) { world in
                var c = try controller(world)
                return [ClosedLoopSimulator.run(world, controller: &c, seed: world.seed, rules: rules)]
            }).map { ($0, $1) })
        }
        let ours = try summary { PlannerController(desired: desired, rollout: $0.rollout, latencyAsNumbers: $0.latencyAsNumbers) }
        let theirs = try summary { try #require(FlaggerBaseline(desired: desired, rollout: $0.rollout)) }
        print("steward, 300 randomized worlds from seed \(Self.freshSeed):\n\(ours.text)\nFlagger-style baseline:\n\(theirs.text)")
        #expect(ours.flaps == 0)
        #expect(ours.falseRollbackRate <= 0.02, "\(ours.text)")
        #expect(ours.falseRollbackRate < theirs.falseRollbackRate)
        #expect(ours.promotionRateAt100 >= 0.95, "\(ours.text)")
        #expect(ours.undecidedRate <= 0.05, "\(ours.text)")
        #expect(ours.detectionRate >= 0.72, "\(ours.text)")
        // What an oracle's fixed test could have seen in the exposure each run had: most of what is left is beyond it.
        #expect(Double(ours.reachableDetected) >= 0.85 * Double(ours.reachableRuns), "\(ours.text)")
        // Problems at least twice their threshold's distance: what an analysis can be asked to find in five hours.
        let large = ours.bySize[2]
        #expect(large.runs >= 30 && Double(large.detected) >= 0.85 * Double(large.runs), "\(ours.text)")
        // No analysis at the template's level beats its most powerful fixed test with all the traffic on the canary to the
        // horizon (if ours did, the oracle's arithmetic would be wrong), and that test stays short of the 95% here.
        let most = ours.fullExposureDetections
        #expect(Double(ours.detected) <= most + 3 * most.squareRoot(), "\(ours.text)")
        #expect(most < 0.95 * Double(ours.regressionRuns), "\(ours.text)")
    }

    /// Wald's bound summed over the suite's constant rate regressions, each
    /// at the failure level the engine gives its metric (1 − confidence,
    /// split across the critical metrics) and 95% detection.
    static func exposureBound(_ desired: DesiredState, _ suite: [TrafficScenario]) throws -> (requests: Double, scenarios: Int, names: Set<String>) {
        var requests = 0.0, scenarios = 0, names: Set<String> = []
        for scenario in suite {
            let rollout = try #require(desired.rollouts[scenario.rollout])
            let metrics = desired.metrics(of: rollout)
            let confidence = try #require(rollout.analysisReferences.flatMap(\.templates).first.flatMap { desired.analysisTemplates[$0] }).confidence
            let alpha = (1 - confidence) / Double(metrics.filter { $0.severity == .critical }.count)
            guard let bound = ExposureBound.canaryRequests(scenario, metrics: metrics, alpha: alpha, beta: 0.05) else { continue }
            requests += bound * Double(seeds)
            scenarios += 1
            names.insert(scenario.name)
        }
        return (requests, scenarios, names)
    }
}
