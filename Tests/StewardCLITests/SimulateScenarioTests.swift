import Foundation
import Testing

extension CommandLineTests {
    /// Before: an empty folder printed "regressions rolled back 100.0% (0 of 0 runs)" and exited 0,
    /// so a CI gate passed on nothing.
    @Test func anEmptyScenarioFolderIsAnError() throws {
        let dir = NSTemporaryDirectory() + "steward-scenarios-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try steward(["simulate", "--repo", "examples/quickstart", "--scenario", dir])
        #expect(run.status == 1)
        #expect(run.error.contains("no scenario files (*.yaml) in \(dir)"), "\(run.error)")
    }

    @Test func randomizedWorldsAreDrawnLabelledAndTraced() throws {
        let run = try steward(["simulate", "--repo", "examples/quickstart", "--scenario-fuzz", "5", "--count", "6", "--trace"])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("6 worlds drawn from seed 5 for rollout customer-support-agent:"))
        // Every world is traced with its label and its end, and the figures follow.
        let traced = run.output.split(separator: "\n").filter { $0.hasPrefix("w") && ($0.contains(": healthy;") || $0.contains(": regression (")) }
        #expect(traced.count == 6, "\(run.output)")
        #expect(run.output.contains("undecided at the end"))
        // The same seed draws the same worlds.
        let again = try steward(["simulate", "--repo", "examples/quickstart", "--scenario-fuzz", "5", "--count", "6", "--trace"])
        #expect(again.output == run.output)
    }
}
