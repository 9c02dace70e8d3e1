import Foundation
import Testing
@testable import StewardYAML

@Suite struct EditorTests {
    let source = """
        # Rollout for the support agent.
        apiVersion: steward/v1   # keep me
        kind: Rollout
        spec:
          model: customer-support-agent
          stable: 2.3.1      # the version users get
          canary: "2.4.0"    # being tried
          note: 'it''s fine'
          strategy:
            canary:
              steps:
                - setWeight: 5   # first step
        ---
        kind: Other
        spec: {stable: 1.0.0, x: [a, b]}

        """

    /// Every byte outside the edited range is the same, comments included.
    func expectOnlyRangeChanged(_ before: [UInt8], _ after: [UInt8], _ edit: TextEdit) {
        #expect(Array(after[..<edit.bytes.lowerBound]) == Array(before[..<edit.bytes.lowerBound]))
        let tail = before[edit.bytes.upperBound...]
        #expect(Array(after.suffix(tail.count)) == Array(tail))
        #expect(after.count == before.count - edit.bytes.count + edit.replacement.utf8.count)
    }

    @Test func replacingAPlainScalarChangesOnlyItsBytes() throws {
        let bytes = Array(source.utf8)
        let editor = try YAMLEditor(source: bytes, file: "r.yaml")
        let edit = try editor.replaceScalar(at: ["spec", "stable"], with: "2.4.0")
        let after = try TextEdit.apply([edit], to: bytes)
        expectOnlyRangeChanged(bytes, after, edit)
        #expect(String(decoding: after, as: UTF8.self) == source.replacingOccurrences(
            of: "stable: 2.3.1      # the version users get", with: "stable: 2.4.0      # the version users get"))
    }

    @Test func quotedScalarsKeepTheirQuotes() throws {
        let bytes = Array(source.utf8)
        let editor = try YAMLEditor(source: bytes, file: "r.yaml")
        let canary = try editor.replaceScalar(at: ["spec", "canary"], with: "2.5.0")
        #expect(canary.replacement == "\"2.5.0\"")
        let note = try editor.replaceScalar(at: ["spec", "note"], with: "isn't")
        #expect(note.replacement == "'isn''t'")
        let after = try TextEdit.apply([canary, note], to: bytes)
        let reparsed = try #require(try YAMLParser().parse(after, file: "r.yaml").first?.root)
        #expect(reparsed["spec"]?["canary"]?.scalar?.text == "2.5.0")
        #expect(reparsed["spec"]?["note"]?.scalar?.text == "isn't")
    }

    @Test func unsafePlainValuesAreQuoted() throws {
        let editor = try YAMLEditor(source: Array(source.utf8), file: "r.yaml")
        let edit = try editor.replaceScalar(at: ["spec", "model"], with: "a: b # c")
        #expect(edit.replacement == "\"a: b # c\"")
    }

    @Test func editsInsideSequencesAndFlowCollections() throws {
        let bytes = Array(source.utf8)
        let editor = try YAMLEditor(source: bytes, file: "r.yaml")
        let weight = try editor.replaceScalar(at: ["spec", "strategy", "canary", "steps", 0, "setWeight"], with: "15")
        let flow = try editor.replaceScalar(at: ["spec", "stable"], inDocument: 1, with: "1.1.0")
        let after = String(decoding: try TextEdit.apply([weight, flow], to: bytes), as: UTF8.self)
        #expect(after.contains("- setWeight: 15   # first step"))
        #expect(after.contains("spec: {stable: 1.1.0, x: [a, b]}"))
    }

    @Test func removingAnEntryTakesItsWholeLine() throws {
        let bytes = Array(source.utf8)
        let editor = try YAMLEditor(source: bytes, file: "r.yaml")
        let edit = try editor.removeEntry(at: ["spec", "canary"])
        let after = String(decoding: try TextEdit.apply([edit], to: bytes), as: UTF8.self)
        #expect(after == source.replacingOccurrences(of: "  canary: \"2.4.0\"    # being tried\n", with: ""))
    }

    /// A version leaves the registry with all its lines and the blank line
    /// after it; its neighbours, their comments and a flow sequence are kept.
    @Test func removingASequenceItemTakesItsLines() throws {
        let text = """
            spec:
              versions:
                - version: 1.0.0   # the first
                  status: archived

                - {version: 1.1.0, status: archived}

                - version: 1.2.0
                  status: production
              tags: [a, b]

            """
        let bytes = Array(text.utf8)
        let editor = try YAMLEditor(source: bytes, file: "m.yaml")
        let first = try editor.removeEntry(at: FieldPath(["spec", "versions"]).appending(0))
        let second = try editor.removeEntry(at: FieldPath(["spec", "versions"]).appending(1))
        let after = String(decoding: try TextEdit.apply([first, second], to: bytes), as: UTF8.self)
        #expect(after == """
            spec:
              versions:
                - version: 1.2.0
                  status: production
              tags: [a, b]

            """, "\(after)")
        #expect(throws: YAMLEditError.notOnItsOwnLine(FieldPath(["spec", "tags"]).appending(1))) {
            try editor.removeEntry(at: FieldPath(["spec", "tags"]).appending(1))
        }
    }

    /// A mapping whose last value is a block mapping ends where that value's
    /// last line does, not at the next item's `-`: an entry added to it, or
    /// removed from it, stays inside it; comments before the next item belong
    /// to the next item; an insertion where a removal starts applies.
    @Test func blockValuesEndOnTheirLastLineAndCommentsBelongToWhatFollows() throws {
        let text = """
            versions:
              - version: 1.0.0
                status: archived
                baseline: {accuracy: 0.9}
              # the next one
              - version: 1.1.0
                status: production
                baseline:
                  accuracy: 0.92
                  rating: 4.1
              - version: 1.2.0
                status: candidate

            """
        let bytes = Array(text.utf8)
        let editor = try YAMLEditor(source: bytes, file: "m.yaml")
        let versions = FieldPath(["versions"])
        let stamp = try editor.setEntry("since", to: "2026-12-07", inMapping: versions.appending(1))
        let drop = try editor.removeEntry(at: versions.appending(1).appending("baseline"))
        let remove = try editor.removeEntry(at: versions.appending(0))
        let after = String(decoding: try TextEdit.apply([stamp, drop, remove], to: bytes), as: UTF8.self)
        #expect(after == """
            versions:
              # the next one
              - version: 1.1.0
                status: production
                since: "2026-12-07"
              - version: 1.2.0
                status: candidate

            """, "\(after)")
        // An insertion at the very place a removal starts: both apply, the insertion first.
        let insert = TextEdit(bytes: 0..<0, replacement: "# top\n")
        let cut = TextEdit(bytes: 0..<10, replacement: "")
        #expect(String(decoding: try TextEdit.apply([cut, insert], to: bytes), as: UTF8.self).hasPrefix("# top\n  - version: 1.0.0"))
    }

    @Test func refusedEditsSayWhy() throws {
        let editor = try YAMLEditor(source: Array(source.utf8), file: "r.yaml")
        #expect(throws: YAMLEditError.noSuchField(["spec", "missing"])) {
            try editor.replaceScalar(at: ["spec", "missing"], with: "x")
        }
        #expect(throws: YAMLEditError.notAScalar(["spec", "strategy"])) {
            try editor.replaceScalar(at: ["spec", "strategy"], with: "x")
        }
        #expect(throws: YAMLEditError.notOnItsOwnLine(["spec", "stable"])) {
            try editor.removeEntry(at: ["spec", "stable"], inDocument: 1)
        }
        let a = TextEdit(bytes: 0..<5, replacement: "")
        let b = TextEdit(bytes: 3..<6, replacement: "")
        #expect(throws: YAMLEditError.overlappingEdits) { try TextEdit.apply([a, b], to: Array(source.utf8)) }
    }

    @Test func plainSafety() {
        #expect(ScalarWriter.isPlainSafe("2.4.0"))
        #expect(ScalarWriter.isPlainSafe("-1"))
        #expect(!ScalarWriter.isPlainSafe("- x"))
        #expect(!ScalarWriter.isPlainSafe(""))
        #expect(!ScalarWriter.isPlainSafe("*alias"))
        #expect(!ScalarWriter.isPlainSafe("a, b"))
        #expect(ScalarWriter.doubleQuoted("a\"b\\c\nd\u{1}") == "\"a\\\"b\\\\c\\nd\\x01\"")
    }
}

@Suite struct SetEntryTests {
    func edited(_ text: String, _ key: String, _ value: String, at path: FieldPath) throws -> String {
        let editor = try YAMLEditor(source: Array(text.utf8), file: "r.yaml")
        let edit = try editor.setEntry(key, to: value, inMapping: path)
        return String(decoding: try TextEdit.apply([edit], to: Array(text.utf8)), as: UTF8.self)
    }

    @Test func addsTheMappingWhenMissingAndKeepsEveryOtherByte() throws {
        let text = "kind: Rollout\nmetadata:\n  name: r   # the rollout\nspec:\n  stable: 1.0.0\n"
        #expect(try edited(text, "steward.dev/pause", "true", at: ["metadata", "annotations"])
                == "kind: Rollout\nmetadata:\n  name: r   # the rollout\n  annotations:\n    steward.dev/pause: \"true\"\nspec:\n  stable: 1.0.0\n")
    }

    @Test func appendsToAnExistingMappingAndReplacesAnExistingKey() throws {
        let text = "metadata:\n  name: r\n  annotations:\n    team: ml\nspec: {}\n"
        let added = try edited(text, "steward.dev/resume", "2026-11-22T12:00:00Z", at: ["metadata", "annotations"])
        #expect(added == "metadata:\n  name: r\n  annotations:\n    team: ml\n    steward.dev/resume: \"2026-11-22T12:00:00Z\"\nspec: {}\n")
        let replaced = try edited(added, "steward.dev/resume", "later", at: ["metadata", "annotations"])
        #expect(replaced.contains("    steward.dev/resume: \"later\"\n") && !replaced.contains("12:00"))
    }

    @Test func fillsAnEmptyMapping() throws {
        let text = "metadata:\n  name: r\n  annotations:\nspec: {}\n"
        #expect(try edited(text, "steward.dev/resume", "now", at: ["metadata", "annotations"])
                == "metadata:\n  name: r\n  annotations:\n    steward.dev/resume: \"now\"\nspec: {}\n")
    }

    @Test func refusesAnInlineMapping() throws {
        #expect(throws: YAMLEditError.notABlockMapping(["metadata"])) {
            try edited("metadata: {name: r}\n", "steward.dev/pause", "true", at: ["metadata", "annotations"])
        }
    }
}
