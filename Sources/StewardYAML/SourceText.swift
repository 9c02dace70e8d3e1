/// The bytes of one file, checked to be UTF-8 text, with the map that turns
/// libyaml's positions (counted in Unicode scalars) into byte offsets.
struct SourceText {
    let bytes: [UInt8]
    /// Bytes skipped before the text proper (a UTF-8 byte order mark).
    let prefix: Int
    /// Scalar indices of the non-ASCII scalars, ascending...
    private var wideScalarIndices: [Int] = []
    /// ...and how many extra bytes the text holds up to and including each.
    private var extraBytesThrough: [Int] = []

    /// Checks the bytes and builds the offset map; throws for binary data or
    /// invalid UTF-8, naming the first bad byte's place.
    init(bytes: [UInt8], file: String) throws(YAMLError) {
        self.bytes = bytes
        prefix = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0

        var scalarIndex = 0
        var extra = 0
        var offset = prefix
        while offset < bytes.count {
            let lead = bytes[offset]
            if lead == 0 {
                throw YAMLError(
                    file: file, position: Self.position(of: offset, in: bytes),
                    message: "binary data (a NUL byte) in a YAML file")
            }
            let width = Self.scalarWidth(bytes, at: offset)
            if width == 0 {
                throw YAMLError(
                    file: file, position: Self.position(of: offset, in: bytes),
                    message: "invalid UTF-8 (byte 0x\(String(lead, radix: 16, uppercase: true))); YAML files must be UTF-8 text")
            }
            if width > 1 {
                extra += width - 1
                wideScalarIndices.append(scalarIndex)
                extraBytesThrough.append(extra)
            }
            scalarIndex += 1
            offset += width
        }
    }

    /// The byte offset of libyaml's scalar index.
    func byteOffset(ofScalarIndex index: Int) -> Int {
        // Extra bytes come from wide scalars strictly before `index`.
        var low = 0
        var high = wideScalarIndices.count
        while low < high {
            let mid = (low + high) / 2
            if wideScalarIndices[mid] < index { low = mid + 1 } else { high = mid }
        }
        return prefix + index + (low == 0 ? 0 : extraBytesThrough[low - 1])
    }

    /// The line and column of a byte offset, counted by scanning: used only
    /// for errors found before libyaml runs. Lines end as YAML's do: LF,
    /// CR LF, or a CR alone.
    static func position(of offset: Int, in bytes: [UInt8]) -> SourcePosition {
        var line = 1
        var column = 1
        var i = 0
        while i < offset && i < bytes.count {
            let endsLine = bytes[i] == UInt8(ascii: "\n")
                || (bytes[i] == UInt8(ascii: "\r") && (i + 1 >= bytes.count || bytes[i + 1] != UInt8(ascii: "\n")))
            if endsLine {
                line += 1
                column = 1
            } else if bytes[i] == UInt8(ascii: "\r") {
                // The CR of a CR LF: the LF ends the line.
            } else if bytes[i] & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return SourcePosition(line: line, column: column, offset: offset)
    }

    /// The length of the well-formed UTF-8 sequence at `offset`, or 0.
    private static func scalarWidth(_ b: [UInt8], at offset: Int) -> Int {
        let lead = b[offset]
        if lead < 0x80 { return 1 }
        let width: Int
        let minimum: UInt32
        var value: UInt32
        switch lead {
        case 0xC2...0xDF: width = 2; minimum = 0x80; value = UInt32(lead & 0x1F)
        case 0xE0...0xEF: width = 3; minimum = 0x800; value = UInt32(lead & 0x0F)
        case 0xF0...0xF4: width = 4; minimum = 0x10000; value = UInt32(lead & 0x07)
        default: return 0
        }
        guard offset + width <= b.count else { return 0 }
        for i in 1..<width {
            let next = b[offset + i]
            guard next & 0xC0 == 0x80 else { return 0 }
            value = value << 6 | UInt32(next & 0x3F)
        }
        guard value >= minimum, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else { return 0 }
        return width
    }
}
