import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import StewardOTLP
import SwiftProtobuf
import Synchronization

/// The agent's own traces: each reconcile round a trace, with its fetch,
/// evidence (a span per provider), plan, actions and commits as child
/// spans, exported over OTLP/HTTP (protobuf) to `tracing.endpoint`, so that
/// an operator sees why a round was slow in the tracing backend they run.
/// Off (every call just runs its body) when no endpoint is configured.
/// Exports never wait in a round: they go out after it, at most
/// `maximumSpans` queued, the rest dropped and counted.
final class RoundTracer: Sendable {
    /// The span a task runs in, so that the spans it starts are its children.
    @TaskLocal static var current: (trace: Data, span: Data)?

    let endpoint: String?
    private let client: HTTPClient
    private let logger: Logger
    private let finished = Mutex<(spans: [OTLPSpan], dropped: Int, failing: Bool)>(([], 0, false))
    static let maximumSpans = 10_000

    init(endpoint: String?, client: HTTPClient = .shared, logger: Logger) {
        self.endpoint = endpoint.map { $0.hasSuffix("/v1/traces") ? $0 : ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + "/v1/traces" }
        self.client = client
        self.logger = logger
    }

    /// Runs `body` in a span named `name`: a child of the span the task is in, or a new trace's root.
    func span<T>(_ name: String, _ attributes: [String: String] = [:], _ body: () async throws -> T) async throws -> T {
        guard endpoint != nil else { return try await body() }
        var span = start(name, attributes)
        do {
            let result = try await Self.$current.withValue((span.traceID, span.spanID)) { try await body() }
            end(&span, failure: nil)
            return result
        } catch {
            end(&span, failure: error)
            throw error
        }
    }

    /// The same for a body that cannot fail.
    func span<T>(_ name: String, _ attributes: [String: String] = [:], _ body: () async -> T) async -> T {
        guard endpoint != nil else { return await body() }
        var span = start(name, attributes)
        let result = await Self.$current.withValue((span.traceID, span.spanID)) { await body() }
        end(&span, failure: nil)
        return result
    }

    private func start(_ name: String, _ attributes: [String: String]) -> OTLPSpan {
        var span = OTLPSpan()
        span.traceID = Self.current?.trace ?? Self.randomID(16)
        span.spanID = Self.randomID(8)
        span.parentSpanID = Self.current?.span ?? Data()
        span.name = name
        span.kind = .internal
        span.startTimeUnixNano = Self.nanoseconds()
        span.attributes = attributes.sorted { $0.key < $1.key }.map { OTLPKeyValue($0.key, text: $0.value) }
        return span
    }

    private func end(_ span: inout OTLPSpan, failure: (any Error)?) {
        span.endTimeUnixNano = Self.nanoseconds()
        if let failure {
            span.status.code = .error
            span.status.message = String("\(failure)".prefix(500))
        }
        let finishedSpan = span
        finished.withLock { queue in
            if queue.spans.count < Self.maximumSpans { queue.spans.append(finishedSpan) } else { queue.dropped += 1 }
        }
    }

    /// Sends the spans finished so far in one export, in a task of its own.
    func export() {
        guard let endpoint else { return }
        let (spans, dropped) = finished.withLock { queue -> ([OTLPSpan], Int) in
            defer { queue.spans = []; queue.dropped = 0 }
            return (queue.spans, queue.dropped)
        }
        guard !spans.isEmpty else { return }
        if dropped > 0 { logger.warning("the tracing endpoint is behind; spans were dropped", metadata: ["dropped": "\(dropped)"]) }
        var export = OTLPExportRequest()
        var resource = Opentelemetry_Proto_Collector_Trace_V1_ResourceSpans()
        resource.resource.attributes = [OTLPKeyValue("service.name", text: "steward-agent")]
        var scope = Opentelemetry_Proto_Collector_Trace_V1_ScopeSpans()
        scope.scope.name = "steward"
        scope.spans = spans
        resource.scopeSpans = [scope]
        export.resourceSpans = [resource]
        guard let body: [UInt8] = try? export.serializedBytes() else { return }
        Task { [self] in
            var request = HTTPClientRequest(url: endpoint)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-protobuf")
            request.body = .bytes(ByteBuffer(bytes: body))
            var failure: String?
            do {
                let response = try await self.client.execute(request, timeout: .seconds(5))
                _ = try? await response.body.collect(upTo: 64 << 10)
                if !(200..<300).contains(response.status.code) { failure = "answered \(response.status.code)" }
            } catch {
                failure = "\(error)"
            }
            // Said once when it starts failing and once when it works again, not every round.
            let changed = self.finished.withLock { queue -> Bool in
                defer { queue.failing = failure != nil }
                return queue.failing != (failure != nil)
            }
            if changed {
                if let failure {
                    self.logger.warning("cannot export traces; going on without them", metadata: ["endpoint": "\(endpoint)", "error": "\(failure)"])
                } else {
                    self.logger.info("traces are exported again", metadata: ["endpoint": "\(endpoint)"])
                }
            }
        }
    }

    static func randomID(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func nanoseconds() -> UInt64 { UInt64(max(0, Date().timeIntervalSince1970) * 1e9) }
}
