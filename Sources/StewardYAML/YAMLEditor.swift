/// A change to a file's bytes: replace `bytes` with `replacement`.
public struct TextEdit: Sendable, Hashable {
    public var bytes: Range<Int>
    public var replacement: String

    public init(bytes: Range<Int>, replacement: String) {
        self.bytes = bytes
        self.replacement = replacement
    }

    /// Applies non-overlapping edits to `source`; every byte outside the
    /// edited ranges, comments and formatting included, is kept as it was.
    public static func apply(_ edits: [TextEdit], to source: [UInt8]) throws(YAMLEditError) -> [UInt8] {
        // An insertion where a removal starts goes first: both apply.
        let ordered = edits.sorted { ($0.bytes.lowerBound, $0.bytes.upperBound) < ($1.bytes.lowerBound, $1.bytes.upperBound) }
        var output: [UInt8] = []
        output.reserveCapacity(source.count)
        var cursor = 0
        for edit in ordered {
            guard edit.bytes.lowerBound >= cursor, edit.bytes.upperBound <= source.count else {
                throw .overlappingEdits
            }
            output += source[cursor..<edit.bytes.lowerBound]
            output += Array(edit.replacement.utf8)
            cursor = edit.bytes.upperBound
        }
        output += source[cursor...]
        return output
    }
}

/// Why an edit could not be made.
public enum YAMLEditError: Error, Sendable, Hashable, CustomStringConvertible {
    case noSuchDocument(Int)
    case noSuchField(FieldPath)
    case notAScalar(FieldPath)
    case notOnItsOwnLine(FieldPath)
    case notABlockMapping(FieldPath)
    case overlappingEdits

    public var description: String {
        switch self {
        case .noSuchDocument(let i): "the file has no document \(i)"
        case .noSuchField(let path): "no field \(path)"
        case .notAScalar(let path): "\(path) is not a plain or quoted scalar, so it cannot be replaced in place"
        case .notOnItsOwnLine(let path): "\(path) does not start its own line, so it cannot be removed in place"
        case .notABlockMapping(let path): "\(path) is not a mapping entries can be added to in place (a flow mapping takes one entry at a time); write it as a block mapping"
        case .overlappingEdits: "edits overlap or fall outside the file"
        }
    }
}

/// Makes surgical edits to a YAML file: it changes only the bytes of the
/// value it is asked to change, so comments and formatting survive.
public struct YAMLEditor: Sendable {
    public let source: [UInt8]
    public let documents: [YAMLDocument]

    public init(source: [UInt8], file: String, parser: YAMLParser = YAMLParser()) throws(YAMLError) {
        self.source = source
        self.documents = try parser.parse(source, file: file)
    }

    /// An edit that replaces the scalar at `path` with `value`, written in
    /// the scalar's own style when that style can hold it, else double-quoted.
    public func replaceScalar(at path: FieldPath, inDocument index: Int = 0, with value: String) throws(YAMLEditError) -> TextEdit {
        let node = try node(at: path, inDocument: index)
        guard let scalar = node.scalar, [.plain, .singleQuoted, .doubleQuoted].contains(scalar.style) else {
            throw .notAScalar(path)
        }
        return TextEdit(bytes: node.range.bytes, replacement: ScalarWriter.render(value, preferring: scalar.style))
    }

    /// An edit that removes the mapping entry at `path` (key, value and the
    /// rest of their lines); the key must start its own line. A path that
    /// ends with an index removes that item of a block sequence (`- ` and
    /// its lines, and a blank line after it).
    public func removeEntry(at path: FieldPath, inDocument index: Int = 0) throws(YAMLEditError) -> TextEdit {
        let root = try document(index)
        if case .index = path.components.last {
            let lines = try itemLines(at: path, inDocument: index)
            var end = lines.upperBound
            var blank = end
            while blank < source.count, source[blank] == UInt8(ascii: " ") { blank += 1 }
            if blank < source.count, source[blank] == UInt8(ascii: "\n") { end = blank + 1 }
            return TextEdit(bytes: lines.lowerBound..<end, replacement: "")
        }
        guard let pair = root.pair(at: path) else { throw .noSuchField(path) }
        let keyStart = pair.key.range.start.offset
        var lineStart = keyStart
        while lineStart > 0, source[lineStart - 1] != UInt8(ascii: "\n") { lineStart -= 1 }
        guard source[lineStart..<keyStart].allSatisfy({ $0 == UInt8(ascii: " ") }) else {
            throw .notOnItsOwnLine(path)
        }
        return TextEdit(bytes: lineStart..<endOfLines(from: keyStart, to: pair.value.range.end.offset), replacement: "")
    }

    /// Where the lines of what starts at `start` end (after their newline).
    /// A node's range may run on to where the next token starts, past blank
    /// lines and comments that belong to what follows: step back to its last
    /// character (over those), then on to the end of that line.
    private func endOfLines(from start: Int, to rangeEnd: Int) -> Int {
        let space = UInt8(ascii: " "), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        var end = rangeEnd
        while true {
            while end > start, [space, newline, carriageReturn].contains(source[end - 1]) { end -= 1 }
            var lineStart = end
            while lineStart > start, source[lineStart - 1] != newline { lineStart -= 1 }
            guard lineStart > start, source[lineStart..<end].first(where: { $0 != space }) == UInt8(ascii: "#") else { break }
            end = lineStart
        }
        while end > 0, end < source.count, source[end - 1] != newline { end += 1 }
        return end
    }

    /// The bytes of the lines that hold the block sequence item at `path`
    /// (an index): from its line's start, `- ` included, to the end of its
    /// last line.
    public func itemLines(at path: FieldPath, inDocument index: Int = 0) throws(YAMLEditError) -> Range<Int> {
        guard let item = try document(index).node(at: path) else { throw .noSuchField(path) }
        var lineStart = item.range.start.offset
        while lineStart > 0, source[lineStart - 1] != UInt8(ascii: "\n") { lineStart -= 1 }
        let lead = source[lineStart..<item.range.start.offset]
        guard lead.filter({ $0 != UInt8(ascii: " ") }) == [UInt8(ascii: "-")] else { throw .notOnItsOwnLine(path) }
        return lineStart..<endOfLines(from: item.range.start.offset, to: item.range.end.offset)
    }

    /// An edit that sets `key` to `value` in the block mapping at `path`:
    /// replaced in place when present, otherwise a new line after the
    /// mapping's last entry; a missing mapping at `path` is added under its
    /// parent. Values are double-quoted, so that no value is read as anything
    /// but text, unless `style` asks for another the value fits (a plain
    /// `true` or `2.4.0`, read as what it is).
    public func setEntry(_ key: String, to value: String, inMapping path: FieldPath, inDocument index: Int = 0,
                         style: YAMLScalar.Style = .doubleQuoted) throws(YAMLEditError) -> TextEdit {
        let root = try document(index)
        let line = "\(key): \(style == .doubleQuoted ? ScalarWriter.doubleQuoted(value) : ScalarWriter.render(value, preferring: style))"
        if let mapping = root.node(at: path), mapping.scalar?.isNull == true, let pair = root.pair(at: path) {
            // An empty mapping (`annotations:` with nothing under it): the entry goes on the next line.
            var end = pair.key.range.end.offset
            while end < source.count, source[end] != UInt8(ascii: "\n") { end += 1 }
            let indent = String(repeating: " ", count: pair.key.range.start.column + 1)
            return TextEdit(bytes: end..<end, replacement: "\n" + indent + line)
        }
        if let mapping = root.node(at: path) {
            if mapping.pairs?.contains(where: { $0.name == key }) == true {
                return try replaceScalar(at: path.appending(key), inDocument: index, with: value)
            }
            return try append([line], to: mapping, at: path)
        }
        guard case .key(let name)? = path.components.last else { throw .noSuchField(path) }
        let parentPath = FieldPath(Array(path.components.dropLast()))
        guard let parent = root.node(at: parentPath) else { throw .noSuchField(parentPath) }
        return try append(["\(name):", "  " + line], to: parent, at: parentPath)
    }

    /// An edit that sets the field at `path`, a key in a block mapping, to
    /// `value`: ``setEntry(_:to:inMapping:inDocument:style:)`` for its last key.
    public func setEntry(_ path: FieldPath, to value: String, inDocument index: Int = 0) throws(YAMLEditError) -> TextEdit {
        guard case .key(let key)? = path.components.last else { throw .noSuchField(path) }
        return try setEntry(key, to: value, inMapping: FieldPath(Array(path.components.dropLast())), inDocument: index)
    }

    /// Lines added after the last entry of a block mapping, at its entries' indentation.
    /// In a flow mapping (`{a: 1}`) a single entry goes before the closing brace.
    private func append(_ lines: [String], to mapping: YAMLNode, at path: FieldPath) throws(YAMLEditError) -> TextEdit {
        if source[mapping.range.start.offset] == UInt8(ascii: "{") {
            let close = mapping.range.end.offset - 1
            guard lines.count == 1, close > mapping.range.start.offset, source[close] == UInt8(ascii: "}") else { throw .notABlockMapping(path) }
            var end = close
            while end > mapping.range.start.offset + 1, source[end - 1] == UInt8(ascii: " ") { end -= 1 }
            return TextEdit(bytes: end..<end, replacement: (mapping.pairs?.isEmpty ?? true ? "" : ", ") + lines[0])
        }
        guard let last = mapping.pairs?.last, let first = mapping.pairs?.first else { throw .notABlockMapping(path) }
        let indent = String(repeating: " ", count: first.key.range.start.column - 1)
        let end = endOfLines(from: last.key.range.start.offset, to: last.value.range.end.offset)
        let newline = end > 0 && source[end - 1] != UInt8(ascii: "\n") ? "\n" : ""
        return TextEdit(bytes: end..<end, replacement: newline + lines.map { indent + $0 + "\n" }.joined())
    }

    private func document(_ index: Int) throws(YAMLEditError) -> YAMLNode {
        guard documents.indices.contains(index), let root = documents[index].root else {
            throw .noSuchDocument(index)
        }
        return root
    }

    private func node(at path: FieldPath, inDocument index: Int) throws(YAMLEditError) -> YAMLNode {
        guard let node = try document(index).node(at: path) else { throw .noSuchField(path) }
        return node
    }
}

/// Writes a string as a YAML scalar.
public enum ScalarWriter {
    static func render(_ value: String, preferring style: YAMLScalar.Style) -> String {
        switch style {
        case .plain where isPlainSafe(value): value
        case .singleQuoted where !value.contains(where: \.isNewline):
            "'" + value.replacingAll("'", with: "''") + "'"
        default: doubleQuoted(value)
        }
    }

    /// Whether `value` reads back as the same text when written plain, in
    /// block or flow context.
    static func isPlainSafe(_ value: String) -> Bool {
        guard let first = value.first, let last = value.last,
              first != " ", last != " " else { return false }
        if "?:,[]{}#&*!|>'\"%@`".contains(first) { return false }
        if first == "-", value.count == 1 || value.dropFirst().first == " " { return false }
        if value.contains(": ") || value.contains(" #") || value.hasSuffix(":") { return false }
        return value.unicodeScalars.allSatisfy { scalar in
            scalar.value >= 0x20 && scalar.value != 0x7F && !",[]{}".unicodeScalars.contains(scalar)
        }
    }

    /// `value` as a double-quoted scalar, escaped so that it reads back exactly.
    public static func doubleQuoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
