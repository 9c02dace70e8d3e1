import Foundation
import Testing
@testable import StewardCLI
import StewardSpec
import StewardYAML

@Suite struct ReportTests {
    static let result: LoadResult = DesiredStateLoader().load([SourceFile(path: "dir/r,1.yaml", bytes: Array("""
        apiVersion: steward/v1
        kind: Rollout
        metadata: {name: r}
        spec:
          model: m
          stable: 1.0.0
          strategy: {canary: {steps: [{setWeight: 101}]}}
          stikyKey: "a%b"
        """.utf8))])

    @Test func textIsCompilerStyle() {
        let text = ValidationReport(result: Self.result).render(.text)
        #expect(text == """
            dir/r,1.yaml:5:10: error: no Model named 'm'
            dir/r,1.yaml:7:43: error: setWeight must be between 0 and 100, found 101
            dir/r,1.yaml:8:3: error: unknown field 'stikyKey'; did you mean 'stickyKey'?
            3 errors, 0 warnings in 1 file

            """)
    }

    @Test func githubAnnotationsAreEscaped() {
        let lines = ValidationReport(result: Self.result).render(.github).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == "::error file=dir/r%2C1.yaml,line=5,col=10,title=steward%3A unknown-reference::no Model named 'm'")
        #expect(ValidationReport.escapeData("50%\nnext") == "50%25%0Anext")
    }

    @Test func jsonHasTheDocumentedShape() throws {
        let data = Data(ValidationReport(result: Self.result).render(.json).utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["schema"] as? Int == 1)
        #expect(object["valid"] as? Bool == false)
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(summary == ["files": 1, "resources": 1, "errors": 3, "warnings": 0])
        let first = try #require((object["diagnostics"] as? [[String: Any]])?.first)
        #expect(first["file"] as? String == "dir/r,1.yaml")
        #expect(first["line"] as? Int == 5)
        #expect(first["column"] as? Int == 10)
        #expect(first["severity"] as? String == "error")
        #expect(first["code"] as? String == "unknown-reference")
        #expect(first["path"] as? String == "spec.model")
        #expect(first["message"] as? String == "no Model named 'm'")
    }

    @Test func markdownIsATable() {
        let markdown = ValidationReport(result: Self.result).render(.markdown)
        #expect(markdown.hasPrefix("### ❌ steward validate\n\n3 errors, 0 warnings in 1 file.\n"))
        #expect(markdown.contains("| error | `dir/r,1.yaml:7:43` | setWeight must be between 0 and 100, found 101 (`out-of-range`) |"))
        let clean = ValidationReport(result: DesiredStateLoader().load([])).render(.markdown)
        #expect(clean.hasPrefix("### ✅"))
    }
}
