import Testing
@testable import StewardYAML

@Suite struct ParserTests {
    let parser = YAMLParser()

    @Test func nodesKnowLineColumnAndByteRange() throws {
        let text = "a: 1\nlist:\n  - \"é x\"\n  - plain\n"
        let docs = try parser.parse(text, file: "f.yaml")
        let root = try #require(docs.first?.root)
        let item = try #require(root["list"]?.items?[1])
        #expect(item.range.start.line == 4)
        #expect(item.range.start.column == 5)
        // The é before it takes two bytes: byte offsets must count it.
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[item.range.bytes], as: UTF8.self) == "plain")
        let quoted = try #require(root["list"]?.items?[0])
        #expect(String(decoding: bytes[quoted.range.bytes], as: UTF8.self) == "\"é x\"")
        #expect(quoted.scalar == YAMLScalar(text: "é x", style: .doubleQuoted))
    }

    @Test func scalarsKeepTheirSourceText() throws {
        let root = try #require(try parser.parse("a: no\nb: 0755\nc: 1e3\nd: 2.10\ne: 'yes'\n").first?.root)
        #expect(root["a"]?.scalar?.text == "no")
        #expect(root["b"]?.scalar?.text == "0755")
        #expect(root["c"]?.scalar?.text == "1e3")
        #expect(root["d"]?.scalar?.text == "2.10")
        #expect(root["e"]?.scalar?.style == .singleQuoted)
    }

    @Test func multiDocumentStreams() throws {
        let docs = try parser.parse("a: 1\n---\nb: 2\n---\n", file: "m.yaml")
        #expect(docs.count == 3)
        #expect(docs[1].root?["b"]?.range.start.line == 3)
        #expect(docs[2].root?.scalar?.isNull == true)
    }

    @Test func anchorsAndAliasesResolve() throws {
        let root = try #require(try parser.parse("base: &b {x: 1}\ncopy: *b\n").first?.root)
        #expect(root["copy"]?["x"]?.scalar?.text == "1")
    }

    @Test func undefinedAliasIsAnError() {
        #expect(throws: YAMLError.self) { try parser.parse("a: *nothing\n") }
    }

    @Test func aliasCycleIsAnError() throws {
        do {
            _ = try parser.parse("a: &x [1, *x]\n")
            Issue.record("a cycle was accepted")
        } catch {
            #expect(error.message.contains("cycle"))
        }
    }

    @Test func billionLaughsStopsFast() throws {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 {
            let refs = Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ")
            text += "a\(i): &a\(i) [\(refs)]\n"
        }
        do {
            _ = try parser.parse(text, file: "bomb.yaml")
            Issue.record("an alias bomb was accepted")
        } catch {
            #expect(error.message.contains("expands to more than"))
            #expect(error.position.line >= 6)
        }
    }

    @Test func duplicateKeysAreErrors() throws {
        do {
            _ = try parser.parse("a: 1\nb: 2\na: 3\n", file: "d.yaml")
            Issue.record("a duplicate key was accepted")
        } catch {
            #expect(error.description == "d.yaml:3:1: duplicate key 'a' (first defined at line 1, column 1)")
        }
    }

    @Test func deepNestingIsRefusedNotCrashed() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        do {
            _ = try parser.parse(deep)
            Issue.record("100,000 levels of nesting were accepted")
        } catch {
            #expect(error.message.contains("nesting deeper than"))
        }
    }

    @Test func syntaxErrorsNameTheirPlace() throws {
        do {
            _ = try parser.parse("a: [1, 2\nb: 3\n", file: "s.yaml")
            Issue.record("broken YAML was accepted")
        } catch {
            #expect(error.file == "s.yaml")
            #expect(error.position.line == 2)
        }
    }

    @Test func invalidUTF8IsReportedWithItsPlace() throws {
        let bytes: [UInt8] = Array("a: ok\nb: ".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        do {
            _ = try parser.parse(bytes, file: "u.yaml")
            Issue.record("invalid UTF-8 was accepted")
        } catch {
            #expect(error.description == "u.yaml:2:4: invalid UTF-8 (byte 0xC3); YAML files must be UTF-8 text")
        }
    }

    /// Before: a file whose lines end in CR alone put every such error on line 1.
    @Test func invalidUTF8IsPlacedOnItsLineWhateverTheLineEndings() throws {
        for (ending, name) in [("\r", "cr"), ("\r\n", "crlf"), ("\n", "lf")] {
            let bytes: [UInt8] = Array("a: ok\(ending)b: ok\(ending)c: ".utf8) + [0xC3, 0x28] + Array(ending.utf8)
            do {
                _ = try parser.parse(bytes, file: "\(name).yaml")
                Issue.record("invalid UTF-8 was accepted")
            } catch {
                #expect(error.description == "\(name).yaml:3:4: invalid UTF-8 (byte 0xC3); YAML files must be UTF-8 text")
            }
        }
    }

    @Test func binaryFilesAreRefused() throws {
        let bytes: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x00, 0x00, 0xFF]
        #expect(throws: YAMLError.self) { try parser.parse(bytes, file: "bin.yaml") }
    }

    @Test func emptyFileHasNoDocuments() throws {
        #expect(try parser.parse([], file: "e.yaml").isEmpty)
        #expect(try parser.parse("# only a comment\n").isEmpty)
    }

    @Test func oversizedFileIsRefusedUpFront() throws {
        let fifty = [UInt8](repeating: UInt8(ascii: "a"), count: 50 << 20)
        do {
            _ = try parser.parse(fifty, file: "big.yaml")
            Issue.record("a 50 MB file was accepted")
        } catch {
            #expect(error.message.contains("at most"))
        }
    }

    @Test func byteOrderMarkIsSkippedAndOffsetsStayRight() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a: b\n".utf8)
        let node = try #require(try parser.parse(bytes, file: "bom.yaml").first?.root?["a"])
        #expect(String(decoding: bytes[node.range.bytes], as: UTF8.self) == "b")
    }
}
