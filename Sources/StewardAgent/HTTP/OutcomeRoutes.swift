import Foundation
import Hummingbird
import NIOFoundationEssentialsCompat

/// `POST /v1/outcomes`: request outcomes from gateways, checked one by one
/// (200, or 207 naming each refused item), buffered and written to the store
/// every second. Added behind the write check.
struct OutcomeRoutes {
    let reconciler: Reconciler
    let ingest: IngestBuffer
    /// Called when outcomes are accepted: a round judges them soon.
    let evidenceArrived: @Sendable () -> Void
    static let maxBody = 8 << 20

    func add(to routes: some RouterMethods<BasicRequestContext>) {
        routes.post("v1/outcomes") { request, _ -> Response in
            let body: ByteBuffer
            switch await ConnectionLimits.body(of: request, upTo: Self.maxBody) {
            case .complete(let bytes): body = bytes
            case .tooLarge: return .text(.contentTooLarge, "the body is larger than \(Self.maxBody) bytes; send smaller batches\n")
            case .tooSlow: return .tooSlow
            }
            if let problem = ingest.writeProblem {
                // Refused, not kept: the client sends it again, and nothing is lost behind a 200.
                reconciler.metrics.ingestRefused()
                return .text(.serviceUnavailable, "the agent cannot write outcomes (\(problem)); send this batch again later\n")
            }
            guard let batch = OutcomeBatch(json: Data(buffer: body), now: Date().timeIntervalSince1970, known: reconciler.snapshot.value.versions) else {
                return .text(.badRequest, "expected a JSON object {\"outcomes\": [...]}\n")
            }
            guard ingest.add(batch.accepted) else {
                reconciler.metrics.ingestRefused()
                return .text(.serviceUnavailable, "the agent holds \(IngestBuffer.maximumBuckets) buckets of outcomes it cannot write yet; "
                             + "nothing of this batch was kept: send it again later\n")
            }
            if !batch.accepted.isEmpty { evidenceArrived() }
            reconciler.metrics.ingested(accepted: batch.accepted.count, rejected: batch.rejected.count)
            let data = (try? JSONSerialization.data(withJSONObject: batch.report, options: [.sortedKeys])) ?? Data()
            return Response(status: batch.rejected.isEmpty ? .ok : .init(code: 207, reasonPhrase: "Multi-Status"), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(data: data)))
        }
    }
}
