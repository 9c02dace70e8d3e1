import Foundation
import StewardSpec
import StewardYAML
import Testing

@Suite struct ExamplesTests {
    @Test func quickstartIsValid() throws {
        let result = try DesiredStateLoader().load(directory: Repo.path("examples/quickstart"))
        #expect(result.diagnostics.map(\.description) == [])
        #expect(result.state.models.count == 2)
        #expect(result.state.models["customer-support-agent"]?.versions.count == 4)
        let rollout = try #require(result.state.rollouts["customer-support-agent"])
        #expect(rollout.stable.description == "2.3.1")
        #expect(rollout.canary?.description == "2.4.0")
        guard case .canary(let canary) = rollout.strategy else {
            Issue.record("expected a canary strategy")
            return
        }
        let weights = canary.steps.compactMap { if case .setWeight(let w) = $0.action { w } else { nil } }
        #expect(weights == [5, 15, 35, 100])
        let metrics = try #require(result.state.analysisTemplates["llm-defaults"]?.metrics)
        #expect(metrics.filter { $0.severity == .critical }.map(\.name)
                == ["error-rate", "latency-p95", "user-rating", "hallucination-rate", "safety-violations"])
        #expect(metrics.filter { $0.severity == .warning }.map(\.name) == ["cost-per-request", "tokens-per-request"])
    }

    static let invalidCases: [String] = {
        let folder = Repo.path("examples/invalid")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: "\(folder)/\($0)/expected.txt") }.sorted()
    }()

    @Test func thereAreInvalidCases() {
        #expect(Self.invalidCases.count >= 8)
    }

    @Test(arguments: invalidCases)
    func invalidCaseGivesItsDocumentedDiagnostics(name: String) throws {
        let folder = Repo.path("examples/invalid/\(name)")
        let result = try DesiredStateLoader().load(directory: folder)
        let expected = try String(contentsOfFile: folder + "/expected.txt", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let actual = result.diagnostics.map { $0.description.replacingOccurrences(of: folder + "/", with: "") }
        #expect(actual == expected)
        #expect(!result.isValid)
    }

    @Test func fiveDistinctProblemsAreAllReported() throws {
        let result = try DesiredStateLoader().load(directory: Repo.path("examples/invalid/five-problems"))
        #expect(result.diagnostics.count == 5)
        #expect(Set(result.diagnostics.map(\.code)) == ["unknown-field", "invalid-version", "unknown-value", "wrong-type", "missing-field"])
        #expect(Set(result.diagnostics.map(\.line)).count == 5)
    }
}
