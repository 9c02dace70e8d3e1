/// Finds a key written twice in one JSON object. JSON readers disagree on
/// such a document (one keeps the first value, another the last), so a
/// routing table with one would route differently in different gateways:
/// every reader of routing tables refuses it instead.
public enum JSONDuplicateKeys {
    /// The first key that appears twice in one object, or nil. Only
    /// duplicates are looked for; a JSON reader judges the rest. Keys are
    /// compared as written (escapes are not decoded).
    public static func first(in bytes: [UInt8]) -> String? {
        var objects: [Set<ArraySlice<UInt8>>?] = []  // one entry per open container; nil for an array
        var expectingKey = false
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "{"):
                objects.append([])
                expectingKey = true
            case UInt8(ascii: "["):
                objects.append(nil)
                expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !objects.isEmpty { objects.removeLast() }
                expectingKey = false
            case UInt8(ascii: ","):
                expectingKey = objects.last.map { $0 != nil } ?? false
            case UInt8(ascii: "\""):
                var end = i + 1
                while end < bytes.count, bytes[end] != UInt8(ascii: "\"") { end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1 }
                if expectingKey, objects.last != nil {
                    let key = bytes[(i + 1)..<min(end, bytes.count)]
                    if objects[objects.count - 1]?.insert(key).inserted == false { return String(decoding: key, as: UTF8.self) }
                    expectingKey = false
                }
                i = end
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
