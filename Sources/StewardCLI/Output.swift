import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Machine output of every command: pretty, with sorted keys, so that it is
/// stable from run to run and diffable.
func prettyJSON(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    // Encoding these plain value types cannot fail; an empty object is the honest fallback.
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self) + "\n"
}

/// Text made safe for one cell of a Markdown table: a file name or an
/// author in a pull request can hold anything, and must not add rows,
/// links, images or HTML to the comment.
func markdownCell(_ text: String) -> String {
    var out = ""
    for character in terminalSafe(text) {
        switch character {
        case "\n", "\r": out += " "
        case "\\", "|", "`", "*", "_", "[", "]", "(", ")", "<", ">", "!", "#", "~", "&": out += "\\" + String(character)
        default: out.append(character)
        }
    }
    return out
}

/// Text shown as code in a Markdown table cell: no backtick can end the code span early.
func markdownCode(_ text: String) -> String {
    "`" + terminalSafe(text).replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "|", with: "\\|")
        .replacingOccurrences(of: "\n", with: " ") + "`"
}

/// Text without control characters (ANSI escapes included), for a terminal:
/// an author name or a file name must not move the cursor or recolour it.
func terminalSafe(_ text: String) -> String {
    String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
        (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || (0x7F...0x9F).contains(scalar.value) ? "?" : scalar
    }))
}

/// Valid JSON of the wrong shape says where and what was expected (a whole
/// number, a string, a field); JSON that is not valid says so.
func describeDecoding(_ error: DecodingError, expected: String, document: String) -> String {
    func place(_ path: [any CodingKey]) -> String {
        let parts = path.map { $0.intValue.map { "item \($0 + 1)" } ?? "'\($0.stringValue)'" }
        return parts.isEmpty ? "the document" : parts.joined(separator: ", ")
    }
    switch error {
    case .keyNotFound(let key, let context):
        return "\(place(context.codingPath)): the field '\(key.stringValue)' is missing; \(expected)"
    case .typeMismatch(_, let context) where context.codingPath.isEmpty:
        return "the document is not \(document); \(expected)"
    case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
        let kind = type == String.self ? "a string" : type == Int.self ? "a whole number" : type == Bool.self ? "true or false" : "a number"
        return "\(place(context.codingPath)): expected \(kind); \(expected)"
    case .dataCorrupted(let context):
        guard !context.codingPath.isEmpty else { return "not valid JSON (\(context.debugDescription))" }
        // JSONDecoder's words for 1.5 where an Int is expected.
        let wanted = context.debugDescription.contains("does not fit in Int") ? "expected a whole number" : context.debugDescription
        return "\(place(context.codingPath)): \(wanted); \(expected)"
    @unknown default:
        return "\(error)"
    }
}

/// Why `data` does not decode as `type`, for a person. Foundation's decoder
/// on Linux calls valid JSON with a fraction where a whole number belongs
/// "not valid JSON", with no place: such a document is told apart, and the
/// number found by trying each fraction whole (the first 64).
func describeDecoding<T: Decodable>(_ type: T.Type, _ data: Data, _ error: DecodingError, decoder: JSONDecoder = JSONDecoder(),
                                    expected: String, document: String) -> String {
    guard case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
          let tree = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
        return describeDecoding(error, expected: expected, document: document)
    }
    func fractions(_ node: Any, _ path: [String], into found: inout [[String]]) {
        guard found.count < 64 else { return }
        if let object = node as? [String: Any] {
            for key in object.keys.sorted() { fractions(object[key]!, path + [key], into: &found) }
        } else if let array = node as? [Any] {
            for (i, item) in array.enumerated() { fractions(item, path + ["#\(i)"], into: &found) }
        } else if let number = node as? NSNumber, number.doubleValue.rounded() != number.doubleValue {
            found.append(path)
        }
    }
    func replacing(_ node: Any, at path: ArraySlice<String>) -> Any {
        guard let first = path.first else { return ((node as? NSNumber)?.doubleValue.rounded(.towardZero)).map { NSNumber(value: Int($0)) } ?? node }
        if var object = node as? [String: Any], let child = object[first] {
            object[first] = replacing(child, at: path.dropFirst())
            return object
        }
        if var array = node as? [Any], first.hasPrefix("#"), let i = Int(first.dropFirst()), array.indices.contains(i) {
            array[i] = replacing(array[i], at: path.dropFirst())
            return array
        }
        return node
    }
    var candidates: [[String]] = []
    fractions(tree, [], into: &candidates)
    for path in candidates {
        guard let whole = try? JSONSerialization.data(withJSONObject: replacing(tree, at: path[...]), options: [.fragmentsAllowed]),
              (try? decoder.decode(type, from: whole)) != nil else { continue }
        let place = path.map { $0.hasPrefix("#") ? "item \(Int($0.dropFirst())! + 1)" : "'\($0)'" }.joined(separator: ", ")
        return "\(place): expected a whole number; \(expected)"
    }
    return "valid JSON, but a value is not of the kind expected (a fraction where a whole number belongs, say); \(expected)"
}

/// One HTTP exchange, waited for: the commands that talk to a running agent
/// are synchronous. An answer longer than `limit` bytes is cut off and
/// reported, never read whole.
func exchange(_ request: URLRequest, upTo limit: Int = 16 << 20) -> (body: Data?, status: Int, failure: String?) {
    let receiver = BoundedReceiver(limit: limit)
    let session = URLSession(configuration: .ephemeral, delegate: receiver, delegateQueue: nil)
    session.dataTask(with: request).resume()
    receiver.done.wait()
    session.finishTasksAndInvalidate()
    return receiver.result
}

/// Collects an answer up to a limit, and cancels it past the limit.
private final class BoundedReceiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let limit: Int
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var body = Data()
    private var status = 0
    private var failure: String?

    init(limit: Int) { self.limit = limit }

    var result: (body: Data?, status: Int, failure: String?) {
        lock.withLock { failure == nil ? (body, status, nil) : (nil, status, failure) }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        // An answer that says it is too long is refused before its body comes: once it streams in, the
        // transport reads ahead of the cancel below (a 300 MB answer cost 290 MB resident).
        let tooLong = lock.withLock { () -> Bool in
            status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard response.expectedContentLength > Int64(limit) else { return false }
            failure = "the answer is larger than \(limit >> 20) MiB (\(response.expectedContentLength >> 20) MiB); not read"
            return true
        }
        completionHandler(tooLong ? .cancel : .allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let over = lock.withLock { () -> Bool in
            guard failure == nil else { return false }
            body.append(data)
            guard body.count > limit else { return false }
            failure = "the answer is larger than \(limit >> 20) MiB; not read further"
            body = Data()
            return true
        }
        if over { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        lock.withLock { if failure == nil, let error { failure = error.localizedDescription } }
        done.signal()
    }
}
