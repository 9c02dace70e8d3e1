import Foundation
import Testing

/// Every input in Tests/Fixtures/fuzz (hostile cases and anything `make
/// fuzz` ever found) goes through its reader again, in a plain build:
/// refused or read, never a crash or a hang.
@Suite struct FuzzReplayTests {
    static let fixtures = CommandLineTests.root + "/Tests/Fixtures/fuzz"

    @Test(arguments: ["yaml", "routing", "series", "status", "scenario", "outcomes", "webhook", "agentstatus"])
    func everyKeptInputIsReadWithoutACrash(target: String) throws {
        let binary = URL(fileURLWithPath: CommandLineTests.binary).deletingLastPathComponent().appendingPathComponent("steward-fuzz").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build steward-fuzz first (swift build --build-tests builds it)")
        let inputs = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures + "/" + target).sorted()
        #expect(!inputs.isEmpty)
        let run = try CommandLineTests().run(binary, [target] + inputs.map { Self.fixtures + "/\(target)/" + $0 })
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output == "\(target): \(inputs.count) inputs, no crash\n")
    }
}

extension CommandLineTests {
    @Test func aRoutingTableWithAKeyWrittenTwiceIsRefused() throws {
        let run = try steward("route", "--table", "Tests/Fixtures/fuzz/routing/duplicate-keys.json", "--model", "m", "user-1")
        #expect(run.status == 2)
        #expect(run.error.contains("the key \"revision\" is written twice in one object"), "\(run.error)")
    }
}

extension CommandLineTests {
    @Test func aFolderThatCannotBeListedIsAnErrorNotASilentSkip() throws {
        let dir = NSTemporaryDirectory() + "steward-locked-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/locked", withIntermediateDirectories: true)
        defer {
            chmod(dir + "/locked", 0o755)
            try? FileManager.default.removeItem(atPath: dir)
        }
        try FileManager.default.copyItem(atPath: Self.root + "/examples/quickstart/policies/default.yaml", toPath: dir + "/locked/policy.yaml")
        chmod(dir, 0o755)
        chmod(dir + "/locked", 0)
        // root reads any folder: run as nobody then, a copy of the binary where nobody may run it.
        var run: Run
        if getuid() == 0 {
            try FileManager.default.copyItem(atPath: Self.binary, toPath: dir + "/steward")
            run = try self.run("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", dir + "/steward", "validate", dir])
        } else {
            run = try steward("validate", dir)
        }
        #expect(run.status == 1, "\(run.output)\(run.error)")
        #expect(run.output.contains("\(dir)/locked:1:1: error: cannot list this folder (permission denied); the files in it are not read"),
                "\(run.output)")
    }
}

extension CommandLineTests {
    @Test func aMetricSeriesInJSONSaysWhichItemAndFieldIsWrong() throws {
        let file = NSTemporaryDirectory() + "steward-series-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let cases = [
            (#"[{"minute": 1, "version": "1.0.0", "metric": "m", "value": 1}]"#, "item 1: the field 'samples' is missing"),
            (#"[{"minute": 1, "version": "1.0.0", "metric": "m", "value": 1, "samples": 3}, {"minute": "x"}]"#, "item 2, 'minute': expected a number"),
            (#"{"minute": 1}"#, "the document is not an array"),
            (#"[{"minute": 1,"#, "not valid JSON"),
        ]
        for (body, message) in cases {
            try body.write(toFile: file, atomically: true, encoding: .utf8)
            let run = try steward("simulate", "--repo", "examples/quickstart", "--rollout", "customer-support-agent", "--metrics", file)
            #expect(run.status != 0)
            #expect(run.error.contains("\(file): \(message)"), "\(run.error)")
        }
    }
}
