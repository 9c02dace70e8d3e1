/// A point in a source file: 1-based line and column (in Unicode scalars, as
/// editors count them) and the 0-based byte offset into the file's bytes.
public struct SourcePosition: Sendable, Hashable, Codable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    public var description: String { "\(line):\(column)" }
}

/// The span of a node in its file. `bytes` is what an edit replaces.
public struct SourceRange: Sendable, Hashable, Codable {
    public var start: SourcePosition
    public var end: SourcePosition

    public init(start: SourcePosition, end: SourcePosition) {
        self.start = start
        self.end = end
    }

    public var bytes: Range<Int> { start.offset..<end.offset }
}
