import Foundation
import Hummingbird
import NIOFoundationEssentialsCompat
import StewardOTLP
import SwiftProtobuf

/// `POST /v1/traces`: OTLP/HTTP trace exports, protobuf
/// (`application/x-protobuf`) or JSON (`application/json`), whose GenAI
/// spans become outcomes (see ``SpanOutcomes``) — the same checks, bounds
/// and buffer as `/v1/outcomes`, behind the same token. Answered as OTLP
/// answers, in the request's encoding: refused spans are a partial success.
struct TraceRoutes {
    let outcomes: OutcomeRoutes
    let attributes: SpanAttributes

    func add(to routes: some RouterMethods<BasicRequestContext>) {
        routes.post("v1/traces") { request, _ -> Response in
            let body: ByteBuffer
            switch await OutcomeRoutes.body(of: request, batch: "export smaller batches") {
            case .success(let bytes): body = bytes
            case .failure(let refusal): return refusal.response
            }
            let json = request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true
            let export: OTLPExportRequest
            do {
                var options = JSONDecodingOptions()
                options.ignoreUnknownFields = true
                export = json ? try OTLPExportRequest(jsonUTF8Data: Data(buffer: body), options: options)
                    : try OTLPExportRequest(serializedBytes: Array(buffer: body))
            } catch {
                return .text(.badRequest, "not an OTLP trace export (\(json ? "JSON" : "protobuf")): \(error)\n")
            }
            if let refusal = outcomes.refuseUnwritable(again: "export this batch again later") { return refusal }
            let spans = SpanOutcomes(export, attributes: attributes, now: Date().timeIntervalSince1970,
                                     known: outcomes.reconciler.snapshot.value.versions)
            if let refusal = outcomes.keep(spans.accepted, rejected: spans.rejected.count, again: "export it again later") { return refusal }
            var answer = OTLPExportResponse()
            if !spans.rejected.isEmpty {
                answer.partialSuccess.rejectedSpans = Int64(spans.rejected.count)
                answer.partialSuccess.errorMessage = spans.rejected.prefix(10).map { "span \($0.index): \($0.reason)" }.joined(separator: "; ")
            }
            let bytes: [UInt8] = json ? Array((try? answer.jsonUTF8Data()) ?? Data("{}".utf8)) : ((try? answer.serializedBytes()) ?? [])
            return Response(status: .ok, headers: [.contentType: json ? "application/json" : "application/x-protobuf"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
