import Testing
@testable import StewardYAML

@Suite struct NodeReaderTests {
    func reader(_ text: String) throws -> (NodeReader, DiagnosticBag) {
        let bag = DiagnosticBag()
        let root = try #require(try YAMLParser().parse(text, file: "t.yaml").first?.root)
        return (NodeReader(node: root, file: "t.yaml", bag: bag), bag)
    }

    @Test func yaml11BooleansAreRefusedWithAHint() throws {
        let (r, bag) = try reader("enabled: no\n")
        let m = try #require(r.mapping(fields: ["enabled"]))
        #expect(m.required("enabled")?.bool() == nil)
        #expect(bag.diagnostics.map(\.description) == [
            "t.yaml:1:10: error: enabled: 'no' is a boolean only in YAML 1.1; write true or false",
        ])
        #expect(bag.diagnostics.first?.path == "enabled")
    }

    @Test func leadingZeroNumbersAreRefused() throws {
        let (r, bag) = try reader("mode: 0755\n")
        #expect(r.mapping(fields: ["mode"])?.required("mode")?.int() == nil)
        #expect(bag.diagnostics.first?.code == "ambiguous-number")
    }

    @Test func numbersAndStringsReadAsWritten() throws {
        let (r, bag) = try reader("a: 1e3\nb: 2.10\nc: '5'\nd: -0.5\n")
        let m = try #require(r.mapping(fields: ["a", "b", "c", "d"]))
        #expect(m.required("a")?.number() == 1000)
        #expect(m.required("b")?.string() == "2.10")
        #expect(m.required("d")?.number() == -0.5)
        #expect(m.required("c")?.int() == nil)
        #expect(bag.diagnostics.map(\.message) == ["c must be a whole number, found the quoted string '5'"])
    }

    @Test func unknownFieldsSuggestTheClosestName() throws {
        let (r, bag) = try reader("spec:\n  baseModle: x\n  zzz: 1\n")
        _ = r.mapping(fields: ["spec"])?.required("spec")?.mapping(fields: ["baseModel", "adapter"])
        #expect(bag.diagnostics.map(\.description) == [
            "t.yaml:2:3: error: unknown field 'baseModle'; did you mean 'baseModel'?",
            "t.yaml:3:3: error: unknown field 'zzz'; expected one of: baseModel, adapter",
        ])
        #expect(bag.diagnostics.map(\.path) == ["spec.baseModle", "spec.zzz"])
    }

    @Test func missingAndNullRequiredFields() throws {
        let (r, bag) = try reader("a:\nb: 1\n")
        let m = try #require(r.mapping(fields: ["a", "b", "c"]))
        #expect(m.required("a") == nil)
        #expect(m.required("c") == nil)
        #expect(m.optional("b") != nil)
        #expect(bag.diagnostics.map(\.description) == [
            "t.yaml:1:3: error: field 'a' must have a value",
            "t.yaml:1:1: error: missing required field 'c'",
        ])
    }

    @Test func enumValuesSuggest() throws {
        let (r, bag) = try reader("severity: critcal\n")
        enum Severity: String, CaseIterable { case critical, warning }
        #expect(r.mapping(fields: ["severity"])?.required("severity")?.oneOf(Severity.self) == nil)
        #expect(bag.diagnostics.first?.message == "severity: 'critcal' is not one of critical, warning; did you mean 'critical'?")
    }

    @Test func rangesAreEnforced() throws {
        let (r, bag) = try reader("w: 150\n")
        #expect(r.mapping(fields: ["w"])?.required("w")?.int(in: 0...100) == nil)
        #expect(bag.diagnostics.first?.description == "t.yaml:1:4: error: w must be between 0 and 100, found 150")
    }

    @Test func editDistanceCountsSwapsAsOne() {
        #expect(Suggestion.editDistance("stikcyKey", "stickyKey") == 1)
        #expect(Suggestion.editDistance("", "abc") == 3)
        #expect(Suggestion.closest(to: "qqqqqq", among: ["stable", "canary"]) == nil)
    }
}

extension NodeReaderTests {
    @Test func openRangesSayAtLeast() throws {
        let (r, bag) = try reader("cost: -1\nn: 0\n")
        let m = try #require(r.mapping(fields: ["cost", "n"]))
        #expect(m.required("cost")?.number(in: 0...Double.greatestFiniteMagnitude) == nil)
        #expect(m.required("n")?.int(in: 1...Int.max) == nil)
        #expect(bag.diagnostics.map(\.message) == ["cost must be at least 0, found -1", "n must be at least 1, found 0"])
    }
}
