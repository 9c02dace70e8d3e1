import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StewardEngine

/// The Prometheus provider: one number per window of the metric's interval,
/// read with Prometheus's range query (`/api/v1/query_range`, a step of one
/// interval), so that every window since the canary's exposure began is read
/// again from the server each round and a restarted agent needs nothing of
/// its own. Anything but one series of numbers — the server down or slow, a
/// query it refuses, no series, several — is a `ProviderFailure` with the
/// reason: the metric is inconclusive, never a pass.
public struct PrometheusSource: Sendable {
    let client: HTTPClient
    let settings: PrometheusSettings
    /// The largest answer read, so that a wrong query cannot fill the agent's memory.
    static let maxBody = 16 << 20

    public init(settings: PrometheusSettings, client: HTTPClient = .shared) {
        self.settings = settings
        self.client = client
    }

    /// The windows of `query` that have ended by `query.to`, oldest first.
    public func readings(_ query: MetricQuery, address: String?, promQL: String, samples: String?) async throws(ProviderFailure) -> [MetricReading] {
        guard let address = address ?? settings.address else {
            throw ProviderFailure("no Prometheus address: give the metric's provider an address, or the agent's config prometheus.address", serverFailure: true)
        }
        let windows = Int(((query.to.secondsSinceEpoch - query.from.secondsSinceEpoch) / query.interval).rounded(.down))
        guard windows >= 1 else { return [] }
        let values = try await series(promQL, query, windows: windows, address: address)
        var counts: [Double: Double]?
        if let samples { counts = try await series(samples, query, windows: windows, address: address) }
        return values.keys.sorted().compactMap { end in
            let value = values[end]!
            let start = Moment(secondsSinceEpoch: end - query.interval), stop = Moment(secondsSinceEpoch: end)
            guard let counts else {
                return MetricReading(metric: query.metric, version: query.version, windowStart: start, windowEnd: stop, statistics: .value(value, samples: 1))
            }
            // A window without its request count is left out rather than guessed.
            guard let count = counts[end], count.isFinite, count >= 0 else { return nil }
            return MetricReading(metric: query.metric, version: query.version, windowStart: start, windowEnd: stop,
                                 statistics: .value(value, samples: count.rounded()))
        }
    }

    /// The one series a query returns, by the end of each window.
    private func series(_ template: String, _ query: MetricQuery, windows: Int, address: String) async throws(ProviderFailure) -> [Double: Double] {
        let promQL = query.render(template)
        let first = query.from.secondsSinceEpoch + query.interval
        let form = [("query", promQL), ("start", Self.number(first)), ("end", Self.number(first + Double(windows - 1) * query.interval)),
                    ("step", Self.number(query.interval)), ("timeout", "\(max(1, Int(settings.timeout)))s")]
        var request = HTTPClientRequest(url: address.trimmingSuffix("/") + "/api/v1/query_range")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        if let file = settings.bearerTokenFile {
            guard let token = try? String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
                throw ProviderFailure("cannot read the Prometheus bearer token from \(file)", serverFailure: true)
            }
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        request.body = .bytes(ByteBuffer(string: form.map { "\($0)=\(Self.formEncode($1))" }.joined(separator: "&")))

        let status: HTTPResponseStatus, body: ByteBuffer
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(settings.timeout * 1000)))
            status = response.status
            body = try await response.body.collect(upTo: Self.maxBody)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw ProviderFailure("Prometheus at \(address) did not answer within \(Self.number(settings.timeout))s", serverFailure: true)
        } catch {
            throw ProviderFailure("Prometheus at \(address) cannot be reached: \(error)", serverFailure: true)
        }
        let answer = try? JSONDecoder().decode(QueryAnswer.self, from: Data(body.readableBytesView))
        guard status == .ok, let answer, answer.status == "success", let data = answer.data else {
            let why = answer?.error.map { "\(answer?.errorType ?? "error"): \($0)" } ?? "HTTP \(status.code)"
            throw ProviderFailure("Prometheus refused the query \(promQL): \(why)")
        }
        guard data.resultType == "matrix" else { throw ProviderFailure("the query \(promQL) gave a \(data.resultType), not a series of numbers") }
        switch data.result.count {
        case 0: throw ProviderFailure("the query \(promQL) returned no series (no data for \(query.version) yet, or a label that does not match)")
        case 1: return Dictionary(data.result[0].values.map { ($0.time, $0.value) }, uniquingKeysWith: { $1 })
        case let n: throw ProviderFailure("the query \(promQL) returned \(n) series; aggregate it to one (sum(…), say)")
        }
    }

    /// Seconds as Prometheus reads them: no exponent, at most millisecond precision.
    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : String(format: "%.3f", value)
    }

    /// `application/x-www-form-urlencoded`: everything but unreserved ASCII escaped (a `+` in PromQL stays a plus).
    static func formEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}

/// Prometheus's answer to a query, as much as the provider reads.
struct QueryAnswer: Decodable {
    var status: String
    var data: Payload?
    var errorType: String?
    var error: String?

    struct Payload: Decodable {
        var resultType: String
        var result: [Series]
    }

    struct Series: Decodable {
        var values: [Point]
    }

    /// `[1700000000.5, "0.042"]`: the value is a string, and may be `NaN` or `+Inf`.
    struct Point: Decodable {
        var time: Double
        var value: Double

        init(from decoder: any Decoder) throws {
            var pair = try decoder.unkeyedContainer()
            time = try pair.decode(Double.self)
            let text = try pair.decode(String.self)
            switch text {
            case "+Inf", "Inf": value = .infinity
            case "-Inf": value = -.infinity
            case "NaN": value = .nan
            default:
                guard let number = Double(text) else {
                    throw DecodingError.dataCorruptedError(in: pair, debugDescription: "'\(text)' is not a number")
                }
                value = number
            }
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
