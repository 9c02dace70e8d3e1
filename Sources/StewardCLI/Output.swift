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

/// One HTTP exchange, waited for: the commands that talk to a running agent are synchronous.
func exchange(_ request: URLRequest) -> (body: Data?, status: Int, failure: String?) {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: (body: Data?, status: Int, failure: String?) = (nil, 0, nil)
    URLSession.shared.dataTask(with: request) { data, response, error in
        result = (data, (response as? HTTPURLResponse)?.statusCode ?? 0, error.map(\.localizedDescription))
        done.signal()
    }.resume()
    done.wait()
    return result
}
