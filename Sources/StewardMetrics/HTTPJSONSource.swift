import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StewardEngine
import StewardSpec

/// The HTTP JSON provider: GET a URL, pick one number (and, optionally, the
/// requests behind it) from the JSON answer. It knows only "now", so the
/// agent asks once per interval and keeps each answer as the window that
/// just ended. Anything but a number where the path points — the server
/// down or slow, a status other than 2xx, an answer that is not JSON, a
/// path that leads nowhere — is a `ProviderFailure` with the reason.
public struct HTTPJSONSource: Sendable {
    let client: HTTPClient
    let timeout: Double
    static let maxBody = 1 << 20

    public init(timeout: Double = 10, client: HTTPClient = .shared) {
        self.client = client
        self.timeout = timeout
    }

    /// The window of `query.interval` that ends at `query.to`.
    public func reading(_ query: MetricQuery, url template: String, jsonPath: JSONPath, samplesPath: JSONPath?) async throws(ProviderFailure) -> MetricReading {
        let url = query.render(template)
        let status: UInt, body: ByteBuffer
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .milliseconds(Int64(timeout * 1000)))
            status = response.status.code
            body = try await response.body.collect(upTo: Self.maxBody)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw ProviderFailure("\(url) did not answer within \(PrometheusSource.number(timeout))s", serverFailure: true)
        } catch {
            throw ProviderFailure("\(url) cannot be reached: \(error)", serverFailure: true)
        }
        guard (200..<300).contains(status) else { throw ProviderFailure("\(url) answered HTTP \(status)") }
        guard let document = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)) else {
            throw ProviderFailure("\(url) did not answer JSON")
        }
        let value = try Self.number(at: jsonPath, in: document, url: url)
        let samples = try samplesPath.map { path throws(ProviderFailure) in try Self.number(at: path, in: document, url: url) } ?? 1
        guard samples.isFinite, samples >= 0 else { throw ProviderFailure("\(url): \(samplesPath!) is not a count of requests") }
        return MetricReading(metric: query.metric, version: query.version, windowStart: query.to + -query.interval, windowEnd: query.to,
                             statistics: .value(value, samples: samples.rounded()))
    }

    /// The number `path` leads to (a JSON number, or a string holding one, as some APIs answer).
    static func number(at path: JSONPath, in document: JSONValue, url: String) throws(ProviderFailure) -> Double {
        var node = document
        for step in path.steps {
            switch (step, node) {
            case (.member(let name), .object(let object)):
                guard let next = object[name] else { throw ProviderFailure("\(url): nothing at \(path) ('\(name)' is missing)") }
                node = next
            case (.index(let index), .array(let array)):
                guard index < array.count else { throw ProviderFailure("\(url): nothing at \(path) (no item \(index))") }
                node = array[index]
            case (.member(let name), _):
                throw ProviderFailure("\(url): nothing at \(path) ('\(name)' is missing)")
            case (.index(let index), _):
                throw ProviderFailure("\(url): nothing at \(path) (no item \(index))")
            }
        }
        switch node {
        case .number(let number): return number
        case .string(let text): if let number = Double(text) { return number }
        default: break
        }
        throw ProviderFailure("\(url): \(path) is not a number")
    }
}

/// A JSON document as it was written: a boolean is never a number, nor 0 a boolean.
enum JSONValue: Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null }
        else if let bool = try? single.decode(Bool.self) { self = .bool(bool) }
        else if let number = try? single.decode(Double.self) { self = .number(number) }
        else if let text = try? single.decode(String.self) { self = .string(text) }
        else if let array = try? single.decode([JSONValue].self) { self = .array(array) }
        else { self = .object(try single.decode([String: JSONValue].self)) }
    }
}
