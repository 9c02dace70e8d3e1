import Foundation
import Testing
import StewardSpec
import StewardYAML
import StewardTesting

@Suite struct LoaderTests {
    let loader = DesiredStateLoader()

    func load(_ files: [String: String]) -> LoadResult {
        loader.load(files.sorted { $0.key < $1.key }.map { SourceFile(path: $0.key, bytes: Array($0.value.utf8)) })
    }

    @Test func directoryWithoutYAMLIsAnError() throws {
        let dir = try Repo.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "not yaml".write(toFile: dir + "/README.md", atomically: true, encoding: .utf8)
        let result = try loader.load(directory: dir)
        #expect(result.diagnostics.map(\.code) == ["no-files"])
        #expect(!result.isValid)
    }

    @Test func missingOrNonDirectoryPathsThrow() throws {
        #expect(throws: DesiredStateLoader.LoadError.self) { try loader.load(directory: "/nonexistent/steward") }
        #expect(throws: DesiredStateLoader.LoadError.self) { try loader.load(directory: Repo.path("Package.swift")) }
    }

    @Test func hostileFilesAreDiagnosedNotFatal() throws {
        let dir = try Repo.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        fm.createFile(atPath: dir + "/binary.yaml", contents: Data([0x7F, 0x45, 0x4C, 0x46, 0, 0, 0xFF]))
        fm.createFile(atPath: dir + "/latin1.yaml", contents: Data("name: caf".utf8 + [0xE9]))
        fm.createFile(atPath: dir + "/empty.yaml", contents: Data())
        fm.createFile(atPath: dir + "/huge.yaml", contents: Data(repeating: UInt8(ascii: "#"), count: 50 << 20))
        fm.createFile(atPath: dir + "/deep.yml", contents: Data((String(repeating: "- ", count: 5000) + "x\n").utf8))
        try fm.createDirectory(atPath: dir + "/.git", withIntermediateDirectories: true)
        fm.createFile(atPath: dir + "/.git/ignored.yaml", contents: Data("{{{".utf8))
        let result = try loader.load(directory: dir)
        // The huge one is refused before it is read, so it is not among the files read.
        #expect(result.files.map { URL(fileURLWithPath: $0).lastPathComponent }
                == ["binary.yaml", "deep.yml", "empty.yaml", "latin1.yaml"])
        let byFile = Dictionary(grouping: result.diagnostics) { URL(fileURLWithPath: $0.file).lastPathComponent }
        #expect(byFile["binary.yaml"]?.first?.message.contains("binary") == true)
        #expect(byFile["latin1.yaml"]?.first?.message.contains("invalid UTF-8") == true)
        #expect(byFile["latin1.yaml"]?.first?.column == 10)
        #expect(byFile["huge.yaml"]?.first?.message.contains("at most") == true)
        #expect(byFile["deep.yml"]?.first?.message.contains("nesting") == true)
        #expect(byFile["empty.yaml"] == nil)
    }

    @Test func explicitTagsAreRefusedWhereTheyAreExceptTheCoreOnes() {
        let model = "metadata: {name: m}\nspec: {versions: [{version: !!str 1.0.0, baseModel: b, status: production}]}\n"
        #expect(load(["a.yaml": "apiVersion: !!str steward/v1\nkind: Model\n" + model]).diagnostics.isEmpty)
        #expect(load(["a.yaml": "apiVersion: steward/v1\nkind: Model\nmetadata: !!map {name: m}\nspec: {versions: !!seq []}\n"])
            .diagnostics.allSatisfy { !$0.message.contains("tag") })
        for (text, tag) in [("kind: !prod Model\n", "!prod"), ("kind: !!binary TW9kZWw=\n", "!!binary")] {
            let result = load(["a.yaml": "apiVersion: steward/v1\n" + text + model])
            #expect(result.diagnostics.map(\.description) == [
                "a.yaml:2:7: error: the explicit tag '\(tag)' is not supported: Steward reads plain YAML; remove it (quote a value to make it a string)"])
        }
        let handle = load(["a.yaml": "%TAG ! tag:example.com,2000:\n---\napiVersion: steward/v1\nkind: !x Model\n" + model])
        #expect(handle.diagnostics.first?.message.contains("'tag:example.com,2000:x' is not supported") == true)
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func positionsAreRightWhateverTheLineEnds(lineEnd: String) {
        let text = ["apiVersion: steward/v1", "kind: Model", "metadata: {name: m}", "spec:", "  versions:",
                    "    - {version: 1.0.0, baseModel: b, status: bogus}", ""].joined(separator: lineEnd)
        #expect(load(["a.yaml": "\u{FEFF}" + text]).diagnostics.map { "\($0.line):\($0.column)" } == ["6:46"])
    }

    @Test func aFileEndingInADocumentMarkerIsFine() {
        let model = "apiVersion: steward/v1\nkind: Model\nmetadata: {name: m}\nspec: {versions: [{version: 1.0.0, baseModel: b, status: production}]}\n"
        #expect(load(["a.yaml": model + "---\n"]).diagnostics.isEmpty)
        #expect(load(["a.yaml": "---\n" + model + "---\n---\n"]).diagnostics.isEmpty)
        #expect(load(["a.yaml": model + "--- null\n"]).diagnostics.map(\.code) == ["wrong-type"])
    }

    @Test func aTenMegabyteValueIsNotEchoedInFull() {
        let value = String(repeating: "x", count: 10 << 20)
        let result = load(["a.yaml": "apiVersion: steward/v1\nkind: \(value)\nmetadata: {name: a}\nspec: {}\n"])
        let message = result.diagnostics.first { $0.line == 2 }?.message ?? ""
        #expect(message.count <= Diagnostic.maxMessageLength + 60)
        #expect(message.hasPrefix("kind: 'xxx"))
        #expect(message.contains("characters left out"))
        #expect(message.hasSuffix("Model, PromptTemplate, Rollout, AnalysisTemplate, Policy"))
    }

    @Test func documentsNeedTheirEnvelope() {
        let result = load(["a.yaml": """
            apiVersion: steward/v2
            kind: Modle
            metadata: {name: Bad_Name}
            spec: {}
            ---
            - just a list
            """])
        #expect(result.diagnostics.map(\.description) == [
            "a.yaml:1:13: error: apiVersion must be steward/v1, found 'steward/v2'",
            "a.yaml:2:7: error: kind: 'Modle' is not one of Model, PromptTemplate, Rollout, AnalysisTemplate, Policy; did you mean 'Model'?",
            "a.yaml:3:18: error: name: 'Bad_Name' is not a valid name (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)",
            "a.yaml:6:1: error: a document must be a mapping, found a list",
        ])
    }

    @Test func strategyNeedsExactlyOneKind() {
        let result = load(["m.yaml": Self.model, "r.yaml": """
            apiVersion: steward/v1
            kind: Rollout
            metadata: {name: r}
            spec:
              model: m
              stable: 1.0.0
              strategy:
                canary: {steps: [{setWeight: 10}]}
                blueGreen: {}
            """])
        #expect(result.diagnostics.map(\.description) == [
            "r.yaml:8:5: error: strategy must have exactly one of canary, blueGreen or experiment; found canary and blueGreen",
        ])
    }

    /// A template whose one metric reads `provider`, written in flow style.
    func template(provider: String) -> LoadResult {
        load(["t.yaml": """
            apiVersion: steward/v1
            kind: AnalysisTemplate
            metadata: {name: t}
            spec:
              metrics:
                - {name: score, provider: \(provider), failWhen: {below: 0.8}, severity: critical}
            """])
    }

    @Test func aPluginProviderHasANameOfItsOwnAndPlainSettings() throws {
        let good = template(provider: "{plugin: {name: judge, settings: {suite: support-evals, grades: 50}}}")
        #expect(good.diagnostics.isEmpty, "\(good.diagnostics)")
        let metric = try #require(good.state.analysisTemplates["t"]?.metrics.first)
        guard case .plugin(let name, let settings) = metric.provider else { Issue.record("read as \(String(describing: metric.provider))"); return }
        #expect(name == "judge" && settings == ["suite": "support-evals", "grades": "50"])
        #expect(template(provider: "{plugin: {name: prometheus}}").diagnostics.map(\.description) == [
            "t.yaml:6:47: error: prometheus is a built-in provider: write provider: {prometheus: …} instead of a plugin",
        ])
        #expect(template(provider: "{plugin: {name: judge, settings: {suite: [a, b]}}}").diagnostics.map(\.description).first
                == "t.yaml:6:72: error: suite must be a string, found a list")
        #expect(template(provider: "{plugin: {settings: {}}}").diagnostics.map(\.description).first?.contains("missing required field 'name'") == true)
    }

    /// A version the agent rolled back does not come back as the canary unless the rollout says `retry: true`.
    @Test func aRolledBackVersionIsNoCanaryWithoutRetry() throws {
        let model = Self.model.replacingOccurrences(
            of: "{version: 1.1.0, baseModel: b, status: candidate}",
            with: "{version: 1.1.0, baseModel: b, status: candidate, rolledBack: {at: \"2026-12-01T10:00:00Z\", reason: \"error-rate 0.09 > 0.05\", commit: 0123456789abcdef0123}}")
        func rollout(_ extra: String) -> String {
            "apiVersion: steward/v1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  model: m\n  stable: 1.0.0\n  canary: 1.1.0\n\(extra)  strategy: {canary: {steps: [{setWeight: 10}]}}\n"
        }
        #expect(load(["m.yaml": model, "r.yaml": rollout("")]).diagnostics.map(\.description) == [
            "r.yaml:7:11: error: canary 1.1.0 was rolled back by Steward at 2026-12-01T10:00:00Z: error-rate 0.09 > 0.05 (it had been made the canary "
                + "by commit 0123456789ab); propose a new version, or say retry: true on the rollout to try this one again",
        ])
        #expect(load(["m.yaml": model, "r.yaml": rollout("  retry: true\n")]).diagnostics.isEmpty)
        let state = load(["m.yaml": model, "r.yaml": rollout("")]).state
        #expect(state.models["m"]?.version(SemanticVersion(1, 1, 0))?.rolledBack?.reason == "error-rate 0.09 > 0.05")
    }

    @Test func pauseStepsAreTimedOrIndefinite() throws {
        let result = load(["m.yaml": Self.model, "r.yaml": """
            apiVersion: steward/v1
            kind: Rollout
            metadata: {name: r}
            spec:
              model: m
              stable: 1.0.0
              canary: 1.1.0
              strategy:
                canary:
                  steps:
                    - setWeight: 10
                    - pause: {duration: 1h30m}
                    - pause: {}
                    - setWeight: 5
            """])
        #expect(result.diagnostics.map(\.description) == [
            "r.yaml:14:22: warning: setWeight 5 is lower than the step before it (10); canary weights should only rise",
        ])
        #expect(result.isValid)
        guard case .canary(let canary)? = result.state.rollouts["r"]?.strategy else {
            Issue.record("no canary strategy")
            return
        }
        guard case .pause(let timed) = canary.steps[1].action, case .pause(let indefinite) = canary.steps[2].action else {
            Issue.record("steps 1 and 2 are not pauses")
            return
        }
        #expect(timed?.seconds == 5400)
        #expect(indefinite == nil)
    }

    static let model = Fixtures.model()
}

@Suite struct DiagnosticCapTests {
    @Test func aFileFullOfProblemsReportsAHundredAndSaysHowManyMore() {
        // 500 unknown fields, each one a problem.
        let fields = (0..<500).map { "  field\($0): 1\n" }.joined()
        let text = "apiVersion: steward/v1\nkind: Model\nmetadata: {name: m}\nspec:\n  versions: []\n" + fields
        let result = DesiredStateLoader().load([SourceFile(path: "m.yaml", bytes: Array(text.utf8))])
        #expect(result.diagnostics.count == DesiredStateLoader.maxDiagnosticsPerFile + 1)
        #expect(result.diagnostics.last?.message.hasPrefix("… and ") == true)
        #expect(result.diagnostics.last?.message.hasSuffix(" more problems in m.yaml, not shown") == true)
    }

    @Test func manyFilesStopAtAThousandInAll() {
        let files = (0..<30).map { i in
            SourceFile(path: "f\(i).yaml", bytes: Array(("apiVersion: steward/v1\nkind: Model\nmetadata: {name: m\(i)}\nspec:\n  versions: []\n"
                + (0..<60).map { "  x\($0): 1\n" }.joined()).utf8))
        }
        let result = DesiredStateLoader().load(files)
        #expect(result.diagnostics.count <= DesiredStateLoader.maxDiagnostics + 1)
        #expect(result.diagnostics.last?.code == "too-many-diagnostics")
    }
}
