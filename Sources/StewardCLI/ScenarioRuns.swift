import ArgumentParser
import Foundation
import StewardEngine
import StewardSimulation
import StewardSpec
import StewardYAML

/// Closed-loop runs of traffic scenarios for `steward simulate --scenario`.
enum ScenarioRuns {
    static let maxScenarioBytes = 1 << 20

    /// Reads a scenario file, confined to `confinement` (a suite's folder,
    /// or the file's own), or prints its problems and exits 1.
    static func load(_ path: String, confinement: Confinement) throws -> TrafficScenario {
        let bytes: [UInt8]
        switch confinement.read(path, maxBytes: maxScenarioBytes) {
        case .success(let read): bytes = read
        case .failure(let refusal):
            printError("steward: error: \(refusal)")
            throw ExitCode(2)
        }
        let bag = DiagnosticBag()
        guard let scenario = TrafficScenario.decode(bytes, file: path, bag: bag) else {
            for diagnostic in bag.diagnostics { printError(diagnostic.description) }
            throw ExitCode(1)
        }
        return scenario
    }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// The scenario files of a suite, in name order.
    static func files(in directory: String) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            printError("steward: error: cannot read \(directory)")
            throw ExitCode(2)
        }
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { directory + "/" + $0 }
    }

    /// `runs` seeded runs of `scenario` (seeds from the scenario's own), on
    /// every core; labelled by `rules` when given.
    static func run(_ scenario: TrafficScenario, desired: DesiredState, runs: Int,
                    rules: RegressionRules? = nil) -> [ClosedLoopSimulator.Run] {
        let results = Results(count: runs)
        DispatchQueue.concurrentPerform(iterations: runs) { index in
            var controller = PlannerController(desired: desired, rollout: scenario.rollout, latencyAsNumbers: scenario.latencyAsNumbers)
            results.set(index, ClosedLoopSimulator.run(scenario, controller: &controller, seed: scenario.seed &+ UInt64(index), rules: rules))
        }
        return results.all
    }

    /// Randomized worlds (`WorldGenerator`), one run each, labelled by the rollout's own rules.
    static func fuzz(seed: UInt64, count: Int, rollout: Rollout, desired: DesiredState, trace: Bool = false) -> SuiteSummary {
        let worlds = WorldGenerator.draw(seed: seed, count: count, rollout: rollout.metadata.name)
        let rules = RegressionRules(desired: desired, rollout: rollout)
        let results = Results(count: worlds.count)
        DispatchQueue.concurrentPerform(iterations: worlds.count) { index in
            let world = worlds[index]
            var controller = PlannerController(desired: desired, rollout: world.rollout, latencyAsNumbers: world.latencyAsNumbers)
            results.set(index, ClosedLoopSimulator.run(world, controller: &controller, seed: world.seed, rules: rules))
        }
        let runs = results.all
        if trace {
            for (world, run) in zip(worlds, runs) { print(line(world, run)) }
        }
        return SuiteSummary(Array(zip(worlds, runs.map { [$0] })))
    }

    /// One drawn world (numbered from 1, as `--trace` names them) run alone,
    /// with everything the engine did: to see why a world ended as it did.
    static func timeline(seed: UInt64, count: Int, world number: Int, rollout: Rollout, desired: DesiredState) -> String {
        let world = WorldGenerator.draw(seed: seed, count: count, rollout: rollout.metadata.name)[number - 1]
        var controller = PlannerController(desired: desired, rollout: world.rollout, latencyAsNumbers: world.latencyAsNumbers,
                                           tracing: ClosedLoopSimulator.start)
        let run = ClosedLoopSimulator.run(world, controller: &controller, seed: world.seed, rules: RegressionRules(desired: desired, rollout: rollout))
        return ([line(world, run)] + run.history + ["at the end:"] + run.standing.map { "  " + $0 }).joined(separator: "\n") + "\n"
    }

    /// One run for a person: the world, its label, how it ended, where it stood.
    static func line(_ world: TrafficScenario, _ run: ClosedLoopSimulator.Run) -> String {
        let label = run.crossedAt.map { "regression (\(run.crossedRule ?? "?") crossed at \($0)m)" } ?? "healthy"
        let end = switch run.end {
        case .promoted?: "promoted at \(run.minutes ?? 0)m"
        case .rolledBack(let reason)?: "rolled back at \(run.minutes ?? 0)m: \(reason)"
        case nil: "undecided"
        }
        return "\(world.name): \(label); \(end)" + (run.end == nil ? "\n    " + run.standing.joined(separator: "\n    ") : "")
    }

    /// Runs written from several threads, each to its own slot. On a
    /// terminal, how many are done and about how long the rest will take,
    /// on standard error, every two seconds once the work passes two seconds.
    private final class Results: @unchecked Sendable {
        private var runs: [ClosedLoopSimulator.Run?]
        private var done = 0
        private let lock = NSLock()
        private let started = Date()
        private var lastWord = Date()
        private var spoke = false
        private let showsProgress = isatty(STDERR_FILENO) == 1

        init(count: Int) { runs = Array(repeating: nil, count: count) }

        func set(_ index: Int, _ run: ClosedLoopSimulator.Run) {
            lock.withLock {
                runs[index] = run
                done += 1
                let now = Date()
                guard showsProgress, now.timeIntervalSince(lastWord) >= 2 else { return }
                lastWord = now
                spoke = true
                let left = now.timeIntervalSince(started) / Double(done) * Double(runs.count - done)
                FileHandle.standardError.write(Data("\r\u{1B}[K\(done) of \(runs.count) runs, about \(Self.duration(left)) left".utf8))
            }
        }

        var all: [ClosedLoopSimulator.Run] {
            lock.withLock {
                if spoke { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                return runs.compactMap { $0 }
            }
        }

        static func duration(_ seconds: Double) -> String {
            seconds < 90 ? "\(Int(seconds.rounded())) s" : seconds < 5_400 ? "\(Int((seconds / 60).rounded())) min" : "\(Int((seconds / 3_600).rounded())) h"
        }
    }
}
