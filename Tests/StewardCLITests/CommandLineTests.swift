import Foundation
import Testing

/// Runs the built `steward` binary the way CI and people do.
@Suite struct CommandLineTests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The `steward` executable next to this test bundle.
    static let binary: String = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("steward").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return Bundle.main.bundleURL.appendingPathComponent("steward").path
    }()

    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    func steward(_ arguments: String...) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: Self.root)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   output: String(decoding: output, as: UTF8.self),
                   error: String(decoding: error, as: UTF8.self))
    }

    @Test func quickstartValidatesWithExitZero() throws {
        let run = try steward("validate", "examples/quickstart")
        #expect(run.status == 0)
        #expect(run.output == "8 resources in 8 files, no problems\n")
    }

    @Test func invalidExamplesExitOneWithTheirDiagnostics() throws {
        let folder = "examples/invalid/five-problems"
        let run = try steward("validate", folder)
        #expect(run.status == 1)
        let expected = try String(contentsOfFile: "\(Self.root)/\(folder)/expected.txt", encoding: .utf8)
            .split(separator: "\n").map { "\(folder)/\($0)" }
        #expect(run.output.split(separator: "\n").dropLast().map(String.init) == expected)
    }

    @Test func unreadablePathsExitTwo() throws {
        let missing = try steward("validate", "no/such/dir")
        #expect(missing.status == 2)
        #expect(missing.error.contains("no/such/dir: no such file or directory"))
        let file = try steward("validate", "Package.swift")
        #expect(file.status == 2)
        #expect(file.error.contains("not a directory"))
    }

    @Test func formatsAreSelectable() throws {
        let run = try steward("validate", "examples/invalid/yaml-syntax", "--format", "github")
        #expect(run.status == 1)
        #expect(run.output.hasPrefix("::error file=examples/invalid/yaml-syntax/broken.yaml,line=9,col=13,"))
        let bad = try steward("validate", "--format", "xml")
        #expect(bad.status != 0)
        #expect(bad.error.contains("xml"))
    }
}
