import Foundation
import Hummingbird
import NIOFoundationEssentialsCompat

extension Response {
    /// Plain text for people and scripts.
    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Indented JSON with sorted keys and ISO 8601 dates.
    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    /// A body that did not arrive in time: answered, and the connection closed.
    static var tooSlow: Response {
        var response = text(.requestTimeout, "the body did not arrive within \(ConnectionLimits.bodyDeadline)\n")
        response.headers[.connection] = "close"
        return response
    }
}
