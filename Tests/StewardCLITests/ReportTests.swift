import Foundation
import StewardAgent
@testable import StewardCLI
import StewardGit
import StewardSpec
import StewardYAML
import Testing

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

/// A pull request can name files and authors as it likes: nothing it writes
/// reaches a comment as Markdown, or a terminal as an escape sequence.
@Suite struct OutputInjectionTests {
    @Test func markdownCellsCannotAddRowsLinksOrImages() {
        let hostile = "Eve | evil |\n| forged | row ![x](https://evil.example/x.png) [click](https://evil.example) <img src=x>"
        let cell = markdownCell(hostile)
        #expect(!cell.contains("\n"))
        #expect(!cell.contains(" | ") && !cell.contains("]("))
        #expect(cell.contains("\\|") && cell.contains("\\!\\[x\\]\\(") && cell.contains("\\<img"))
        #expect(markdownCode("a`|b.yaml:1:1") == "`a'\\|b.yaml:1:1`")
    }

    @Test func terminalTextLosesControlCharacters() {
        let name = "Mallory \u{1B}[2J\u{1B}[31mroot\u{07}\u{9B}"
        let safe = terminalSafe(name)
        #expect(!safe.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B })
        #expect(safe == "Mallory ?[2J?[31mroot??")
    }

    @Test func validateMarkdownEscapesAHostileFileName() {
        let result = DesiredStateLoader().load([SourceFile(path: "x`|![p](https://e)|.yaml", bytes: Array("kind: Nope\n".utf8))])
        let markdown = ValidationReport(result: result).render(.markdown)
        let rows = markdown.split(separator: "\n").filter { $0.hasPrefix("| error") }
        #expect(!rows.isEmpty)
        for row in rows {
            // Four cell borders: the file name adds none.
            #expect(row.split(separator: "|", omittingEmptySubsequences: false).count - row.components(separatedBy: "\\|").count + 1 == 5, "\(row)")
            // The name sits inside one code span, where links and images are inert text.
            let location = row.components(separatedBy: " | ")[1]
            #expect(location.hasPrefix("`") && location.hasSuffix("`") && location.filter { $0 == "`" }.count == 2, "\(row)")
        }
    }
}

@Suite struct StatusViewTests {
    @Test func onATerminalWeightsAreBarsAndDecisionsFollow() throws {
        let json = """
            {"ready": true, "desiredRevision": "0123456789abcdef", "invalidDiagnostics": [], "lastFetch": "2026-11-22T10:00:00Z",
             "rollouts": [{"name": "r", "phase": "progressing", "stable": "2.3.1", "canary": "2.4.0", "stepIndex": 2, "canaryWeight": 20,
                           "stepStartedAt": 0, "verdictText": {"error-rate": "error-rate 0.01 <= 0.05"},
                           "verdicts": {"error-rate": {"metric": "error-rate", "outcome": "pass", "severity": "critical", "comparison": "above",
                                                        "threshold": 0.05, "relativeToStable": false, "samples": 900}}}],
             "decisions": [{"time": "2026-11-22T09:59:58Z", "rollout": "r", "action": "setWeights 2.4.0 20%", "state": "done", "revision": "0123"},
                           {"time": "2026-11-22T09:59:58Z", "rollout": "r", "action": "writeStatus progressing step 3", "state": "done", "revision": "0123"}]}
            """
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let report = try decoder.decode(StatusReport.self, from: Data(json.utf8))
        let now = try #require(ISO8601DateFormatter().date(from: "2026-11-22T10:00:03Z"))
        let text = StatusView(report: report, now: now, bars: true).text
        #expect(text == """
            agent: ready, acting on 0123456, fetched 3 s ago

            r: progressing at step 3, 2.3.1 stable, 2.4.0 at 20%
              ████████████████░░░░  80% 2.3.1
              ████░░░░░░░░░░░░░░░░  20% 2.4.0
              pass           error-rate 0.01 <= 0.05

            latest decisions:
              09:59:58 UTC  r  setWeights 2.4.0 20%

            """)
        #expect(!StatusView(report: report, now: now, bars: false).text.contains("█"))
    }

    /// Before: "inconclusive, leaning to fail" was cut to its first 14
    /// characters ("inconclusive, "); a guard past its limit said nothing.
    @Test func aVerdictThatHoldsTrafficSaysHowInFull() throws {
        let verdict = Self.inconclusiveVerdictJSON
        let json = """
            {"ready": true, "invalidDiagnostics": [], "decisions": [],
             "rollouts": [{"name": "r", "phase": "progressing", "stable": "2.3.1", "canary": "2.4.0", "stepIndex": 2, "canaryWeight": 35,
                           "stepStartedAt": 0, "verdictText": {"safety": "safety 2.3 x stable", "errors": "errors 0.06"},
                           "verdicts": {\(verdict("safety", "\"pastLimit\"")), \(verdict("errors", "\"leaning\""))}}]}
            """
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let report = try decoder.decode(StatusReport.self, from: Data(json.utf8))
        let text = StatusView(report: report, now: Date(), bars: false).text
        #expect(text.contains("  inconclusive, leaning to fail errors 0.06\n"), "\(text)")
        #expect(text.contains("  inconclusive, past its limit safety 2.3 x stable\n"), "\(text)")
    }

    /// A status report's inconclusive verdict of `name`, critical, with `flag` set.
    static func inconclusiveVerdictJSON(_ name: String, _ flag: String) -> String {
        """
        "\(name)": {"metric": "\(name)", "outcome": "inconclusive", "severity": "critical", "comparison": "above",
                   "threshold": 2, "relativeToStable": true, "samples": 900, \(flag): true}
        """
    }
}

extension ReportTests {
    /// Before: one author name of 100,000 characters padded every row of `steward audit` to its width.
    @Test func aLongAuthorNameDoesNotWidenEveryRow() {
        let rows = [String(repeating: "m", count: 100_000), "Ada <ada@example.com>"].map { who in
            AuditRow(commit: "abc1234", date: "2026-12-06 10:00", kind: "person", who: who, action: "edit", subjects: ["r"], from: nil, to: nil,
                     reason: nil, changes: [], summary: "s", signature: .unchecked)
        }
        let table = AuditReport(rows: rows).render(.table)
        let lines = table.split(separator: "\n")
        #expect(lines.allSatisfy { $0.count < 200 }, "\(lines.map(\.count))")
        #expect(table.contains("…"))
        #expect(table.contains("Ada <ada@example.com>"))
    }
}
