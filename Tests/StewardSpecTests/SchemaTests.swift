import Foundation
import Testing
import StewardSpec

/// Every example is valid by the JSON Schemas (checked by Python's
/// jsonschema, a real validator) and by Steward's own loader.
@Suite struct SchemaTests {
    func checkSchemas(_ folders: [String], expectInvalid: Bool = false) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Repo.path("scripts/check_schemas.py")]
            + (expectInvalid ? ["--expect-invalid"] : []) + folders.map(Repo.path)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func examplesAndReferenceManifestsMatchTheirSchemas() throws {
        let run = try checkSchemas(["examples/quickstart", "manifests", "examples/gateway/routing-table.json"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.hasSuffix(" passed, 0 failed\n"), "\(run.output)")
    }

    @Test func schemasRejectBrokenExamples() throws {
        let run = try checkSchemas(["examples/invalid/five-problems", "examples/invalid/bad-versions",
                                    "examples/invalid/weights-and-durations"], expectInvalid: true)
        #expect(run.status == 0, "\(run.output)")
    }

    @Test(arguments: ["examples/quickstart", "manifests"])
    func examplesAreValidBySteward(folder: String) throws {
        // manifests/agent.yaml is the agent's config, not desired state.
        let kinds = try FileManager.default.contentsOfDirectory(atPath: Repo.path(folder)).filter { $0.hasSuffix(".yaml") && $0 != "agent.yaml" }
        let result = try DesiredStateLoader().load(directory: Repo.path(folder), paths: folder == "manifests" ? kinds : ["."])
        #expect(result.diagnostics.map(\.description) == [])
        #expect(result.state.count >= 5)
    }
}
