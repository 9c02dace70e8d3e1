import Foundation
import Testing
import StewardEngine
import StewardSpec

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

    @Test func oneDrawnWorldIsTracedMinuteByMinute() throws {
        let all = try steward(["simulate", "--repo", "examples/quickstart", "--scenario-fuzz", "5", "--count", "6", "--trace"])
        let second = try #require(all.output.split(separator: "\n").first { $0.hasPrefix("w2-") })
        let run = try steward(["simulate", "--repo", "examples/quickstart", "--scenario-fuzz", "5", "--count", "6", "--world", "2"])
        #expect(run.status == 0, "\(run.error)")
        // The same world, ending the same way, with what the engine did on the way and the verdicts behind each move.
        let lines = run.output.split(separator: "\n")
        #expect(lines.first == second, "\(run.output)")
        #expect(lines.contains { $0.hasPrefix("1m canary to 5%") }, "\(run.output)")
        #expect(lines.contains { $0.hasPrefix("      error-rate ") }, "\(run.output)")
        #expect(lines.contains("at the end:"), "\(run.output)")
        let outside = try steward(["simulate", "--repo", "examples/quickstart", "--scenario-fuzz", "5", "--count", "6", "--world", "7"])
        #expect(outside.status == 64 && outside.error.contains("--world must be between 1 and --count (6)"), "\(outside.error)")
    }
}

extension CommandLineTests {
    /// Before: a status file or a scenario that links to a file outside its folder (a CI runner's credentials)
    /// was read, and its error quoted the first bytes of the secret.
    @Test func statusAndScenarioFilesThatLinkOutsideTheirFolderAreNotRead() throws {
        let repository = try planRepository { _ in }
        // The folders lie outside the repository (a CI artifact, say); the repository's own files are confined by validate.
        let dir = NSTemporaryDirectory() + "steward-folders-\(UUID().uuidString)"
        let outside = NSTemporaryDirectory() + "steward-secret-\(UUID().uuidString)"
        defer {
            for path in [repository, dir, outside] { try? FileManager.default.removeItem(atPath: path) }
        }
        let secret = "https://x-access-token:ghs_SECRETSECRETSECRET@github.com"
        try secret.write(toFile: outside, atomically: true, encoding: .utf8)
        for folder in ["status", "scenarios"] {
            try FileManager.default.createDirectory(atPath: dir + "/" + folder, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: dir + "/\(folder)/leak.yaml", withDestinationPath: outside)
        }
        let plan = try steward(["plan", "--repo", repository, "--base", "HEAD", "--status", dir + "/status"])
        let simulate = try steward(["simulate", "--repo", "examples/quickstart", "--scenario", dir + "/scenarios"])
        for run in [plan, simulate] {
            #expect(run.status != 0)
            #expect(run.error.contains("leak.yaml: a symbolic link to a file outside"), "\(run.error)")
            #expect(!(run.output + run.error).contains("ghs_"), "\(run.output)\(run.error)")
        }
    }
}

extension CommandLineTests {
    /// Before: escape sequences in a status file (a verdict's note, say) reached the terminal through `plan --status`.
    @Test func planWithAHostileStatusFileShowsNoControlCharacters() throws {
        let dir = try canaryRemovedRepository()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var status = RolloutStatus.starting(SemanticVersion(2, 4, 0), over: SemanticVersion(2, 3, 1), at: Moment(secondsSinceEpoch: 0))
        status.canaryWeight = 15
        status.verdicts["error-rate"] = Verdict(metric: "error-rate", outcome: .inconclusive, severity: .critical, threshold: 0.05,
                                                comparison: .above, relativeToStable: false, samples: 10,
                                                note: "\u{1B}]0;pwned\u{07}\u{1B}[2Jcleared")
        let statusFile = NSTemporaryDirectory() + "steward-status-" + UUID().uuidString + ".yaml"
        defer { try? FileManager.default.removeItem(atPath: statusFile) }
        try StatusFile.encode(status, rollout: "customer-support-agent").write(toFile: statusFile, atomically: true, encoding: .utf8)
        let plan = try steward(["plan", "--repo", dir, "--base", "HEAD", "--status", statusFile])
        #expect(plan.output.contains("cleared"), "\(plan.output)\(plan.error)")
        #expect(!plan.output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(plan.output)")
    }
}
