import ArgumentParser
import Foundation
import StewardEngine
import StewardSimulation
import StewardSpec

/// `steward simulate`: replays metric series against a rollout on a
/// virtual clock and prints every decision the agent would have made.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay recorded or synthetic metrics against a rollout and show what the agent would decide.",
        discussion: """
            Loads the desired state from --repo (models, analysis templates, the \
            rollout), then plans once a minute over the metric series, as the \
            agent would, starting with no status. Use it to tune analysis before \
            a real rollout. Change windows are not applied: the virtual clock has \
            no calendar.

            The metrics file is CSV with the header minute,version,metric,value,samples \
            (or a JSON array of such objects): each row is one window of one \
            metric of one version, ending at that minute. Optional columns make \
            a window exact: events (a rate's events among the samples) or sd \
            (a mean's standard deviation).

            With --scenario instead, the simulation is closed-loop: a scenario \
            file gives the traffic and each version's true behaviour over time, \
            the traffic is routed by the weights the engine chooses, and \
            outcomes are drawn at random (seeded). --runs N repeats it and \
            prints a power analysis: how often the rollout is rolled back or \
            promoted, how fast, and how many requests a regressed canary served.

            With --scenario-fuzz SEED, the worlds are drawn at random instead \
            (--count of them, the same for the same seed): traffic from 20 to \
            5,000 requests a minute with a daily wave, canary problems from just \
            under to far over each threshold, late onsets, drifts, bursts, \
            incidents on both versions, data gaps, latency as histograms or as one \
            number a minute. Each run is labelled a regression by the template's \
            own critical rules on the true values. Judge an analysis change on \
            seeds you did not tune it on.
            """
    )

    @Option(help: "The rollout to simulate (its metadata.name); a scenario names its own.")
    var rollout: String?

    @Option(help: "The metric series, .csv or .json.")
    var metrics: String?

    @Option(help: "A traffic scenario (YAML, kind: Scenario) for a closed-loop simulation, or a directory of them (a suite).")
    var scenario: String?

    @Option(name: .customLong("scenario-fuzz"), help: "Draw randomized worlds from this seed for a closed-loop suite.")
    var scenarioFuzz: UInt64?

    @Option(help: "How many randomized worlds --scenario-fuzz draws.")
    var count: Int = 300

    @Flag(help: "With --scenario-fuzz, print every world's label and outcome (and where an undecided one stood).")
    var trace = false

    @Option(help: "With --scenario-fuzz, run only this world (numbered as --trace names them, w1 onwards) and print what the engine did, minute by minute.")
    var world: Int?

    @Option(help: "How many seeded runs of the scenario.")
    var runs: Int = 1

    @Option(help: "The directory holding the desired state.")
    var repo: String = "."

    @Option(help: "How to print the timeline: text or json.")
    var format: TimelineFormat = .text

    enum TimelineFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func validate() throws {
        guard [metrics != nil, scenario != nil, scenarioFuzz != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --metrics (a replay), --scenario or --scenario-fuzz (closed-loop simulations)")
        }
        guard metrics == nil || rollout != nil else { throw ValidationError("--metrics needs --rollout") }
        // A run is a few hundred simulated minutes: 10,000 take minutes to an hour on a laptop, not days.
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be between 1 and 10000") }
        if let world {
            guard scenarioFuzz != nil else { throw ValidationError("--world needs --scenario-fuzz") }
            guard (1...count).contains(world) else { throw ValidationError("--world must be between 1 and --count (\(count))") }
        }
        guard (1...10_000).contains(runs) else { throw ValidationError("--runs must be between 1 and 10000 (a power analysis settles long before)") }
    }

    func run() throws {
        var desired = try loadValid(directory: repo, unreadable: 2)
        if let scenarioFuzz {
            let canaries = desired.rollouts.values.filter { if case .canary = $0.strategy { true } else { false } }
            let named = rollout.map { desired.rollouts[$0] } ?? canaries.min { $0.metadata.name < $1.metadata.name }
            guard let chosen = named, case .canary = chosen.strategy else {
                printError("steward: error: --scenario-fuzz needs a canary Rollout in \(repo)\(rollout.map { " named '\($0)'" } ?? "")")
                throw ExitCode(1)
            }
            if let world {
                print(ScenarioRuns.timeline(seed: scenarioFuzz, count: count, world: world, rollout: chosen, desired: desired), terminator: "")
                return
            }
            print("\(count) worlds drawn from seed \(scenarioFuzz) for rollout \(chosen.metadata.name):")
            print(ScenarioRuns.fuzz(seed: scenarioFuzz, count: count, rollout: chosen, desired: desired, trace: trace).text, terminator: "")
            return
        }
        if let scenario, ScenarioRuns.isDirectory(scenario) {
            let files = try ScenarioRuns.files(in: scenario)
            guard !files.isEmpty else {
                printError("steward: error: no scenario files (*.yaml) in \(scenario): a suite of nothing decides nothing")
                throw ExitCode(1)
            }
            let results = try files.map { file in
                let loaded = try ScenarioRuns.load(file, confinement: Confinement(directory: scenario))
                return (loaded, ScenarioRuns.run(loaded, desired: desired, runs: runs))
            }
            print(SuiteSummary(results).text, terminator: "")
            return
        }
        if let scenario {
            let loaded = try ScenarioRuns.load(scenario, confinement: Confinement(around: scenario))
            guard desired.rollouts[rollout ?? loaded.rollout] != nil else {
                printError("steward: error: no Rollout named '\(rollout ?? loaded.rollout)' in \(repo)")
                throw ExitCode(1)
            }
            var named = loaded
            named.rollout = rollout ?? loaded.rollout
            print(PowerSummary(scenario: named, runs: ScenarioRuns.run(named, desired: desired, runs: runs)).text, terminator: "")
            return
        }
        guard let rollout, let metrics else { return }
        guard desired.rollouts[rollout] != nil else {
            printError("steward: error: no Rollout named '\(rollout)' in \(repo)")
            throw ExitCode(1)
        }
        desired.rollouts = desired.rollouts.filter { $0.key == rollout }
        // The virtual clock has no calendar: change windows would only get in the way.
        desired.policies = [:]

        let start = Moment(secondsSinceEpoch: 0)
        let series: [MetricReading]
        do {
            let chosen = desired.rollouts[rollout]!
            var rates: [String: Bool] = [:]
            for metric in desired.metrics(of: chosen) { rates[metric.name] = metric.readsRates }
            let expected = MetricSeries.Expectations(rollout: rollout, metricsReadingRates: rates,
                                                     versions: Set(([chosen.stable] + (chosen.canary.map { [$0] } ?? [])).map(\.description)))
            series = try MetricSeries.load(metrics, start: start, interval: 60, expected: expected)
        } catch {
            printError("steward: error: \(error)")
            throw ExitCode(2)
        }
        let end = series.map(\.windowEnd).max() ?? start
        let (events, status) = Simulator(desired: desired).run(measurements: series, from: start, to: end)
        let timeline = Timeline(rollout: rollout, minutes: Int(end.since(start) / 60), events: events, final: status[rollout])
        print(format == .json ? timeline.json() : timeline.text(), terminator: "")
    }
}
