import Foundation
import StewardYAML
import Testing

@Suite struct CoderTests {
    struct Sample: Codable, Equatable {
        enum Mode: String, Codable, CaseIterable { case fast, careful }
        struct Step: Codable, Equatable { var weight: Int; var note: String? }
        var name: String
        var mode: Mode
        var ratio: Double
        var on: Bool
        var tags: [String]
        var steps: [Step]
        var limits: [String: Int]
        var nothing: [Int]
        var nested: [[Int]]
    }

    let sample = Sample(name: "no", mode: .careful, ratio: 0.25, on: true, tags: ["2.10", "a: b"], steps: [.init(weight: 5, note: "first\nline"), .init(weight: 100, note: nil)],
                        limits: ["error-rate": 3, "needs quoting: yes": 1], nothing: [], nested: [[1, 2], []])

    func decode<T: Decodable>(_ text: String, as type: T.Type = Sample.self) -> (T?, [String]) {
        let bag = DiagnosticBag()
        guard let reader = NodeReader.singleDocument(Array(text.utf8), file: "f.yaml", bag: bag) else { return (nil, bag.diagnostics.map(\.description)) }
        let value = YAMLDecoder().decode(T.self, from: reader)
        return (value, bag.diagnostics.map(\.description))
    }

    @Test func aValueSurvivesTheRoundTripAndTextStaysText() throws {
        let text = try YAMLEncoder().encode(sample)
        #expect(text.contains("name: \"no\"\n"))
        #expect(text.contains("  - \"2.10\"\n"))
        #expect(text.contains("nothing: []\n"))
        let (decoded, problems) = decode(text)
        #expect(problems.isEmpty, "\(problems)")
        #expect(decoded == sample, "\(text)")
    }

    @Test func problemsNameTheFileLineColumnAndField() {
        let base = try! YAMLEncoder().encode(sample)
        let cases: [(String, String)] = [
            (base.replacingOccurrences(of: "ratio: 0.25", with: "ratio: \"0.25\""), "f.yaml:3:8: error: ratio must be a number, found the quoted string '0.25'"),
            (base.replacingOccurrences(of: "on: true", with: "on: yes"), "f.yaml:4:5: error: on: 'yes' is a boolean only in YAML 1.1; write true or false"),
            (base.replacingOccurrences(of: "mode: \"careful\"", with: "mode: carefull"), "f.yaml:2:7: error: mode: 'carefull' is not one of fast, careful; did you mean 'careful'?"),
            (base.replacingOccurrences(of: "name: \"no\"", with: "nme: \"no\""), "f.yaml:1:1: error: unknown field 'nme'"),
            (base.replacingOccurrences(of: "  - weight: 100", with: "  - weight: 1e400"), "f.yaml:11:13: error: weight must be a whole number, found '1e400'"),
        ]
        for (text, expected) in cases {
            let (value, problems) = decode(text)
            #expect(value == nil)
            #expect(problems == [expected], "\(text)")
        }
    }

    @Test func aMissingFieldIsNamed() {
        let (value, problems) = decode("name: x\n", as: Sample.self)
        #expect(value == nil)
        #expect(problems == ["f.yaml:1:1: error: missing required field 'mode'"])
    }

    @Test func anInfiniteNumberIsRefusedRatherThanWrittenUnreadable() {
        var bad = sample
        bad.ratio = .infinity
        #expect(throws: EncodingError.self) { try YAMLEncoder().encode(bad) }
    }
}
