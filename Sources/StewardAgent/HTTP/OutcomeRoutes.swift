import Foundation
import Hummingbird
import NIOFoundationEssentialsCompat
import StewardStore

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
            switch await Self.body(of: request, batch: "send smaller batches") {
            case .success(let bytes): body = bytes
            case .failure(let refusal): return refusal.response
            }
            if let refusal = refuseUnwritable(again: "send this batch again later") { return refusal }
            guard let batch = OutcomeBatch(json: Data(buffer: body), now: Date().timeIntervalSince1970, known: reconciler.snapshot.value.versions) else {
                return .text(.badRequest, "expected a JSON object {\"outcomes\": [...]}\n")
            }
            if let refusal = keep(batch.accepted, rejected: batch.rejected.count, again: "send it again later") { return refusal }
            let data = (try? JSONSerialization.data(withJSONObject: batch.report, options: [.sortedKeys])) ?? Data()
            return Response(status: batch.rejected.isEmpty ? .ok : .init(code: 207, reasonPhrase: "Multi-Status"), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(data: data)))
        }
    }

    /// An answer that refuses a request, as an error to carry it.
    struct Refusal: Error {
        let response: Response
    }

    /// The request's body, or the answer refusing it (too large, too slow).
    static func body(of request: Request, batch advice: String) async -> Result<ByteBuffer, Refusal> {
        switch await ConnectionLimits.body(of: request, upTo: maxBody) {
        case .complete(let bytes): .success(bytes)
        case .tooLarge: .failure(Refusal(response: .text(.contentTooLarge, "the body is larger than \(maxBody) bytes; \(advice)\n")))
        case .tooSlow: .failure(Refusal(response: .tooSlow))
        }
    }

    /// 503 while the agent cannot write outcomes: refused, not kept, so that
    /// the client sends it again and nothing is lost behind a 200.
    func refuseUnwritable(again: String) -> Response? {
        guard let problem = ingest.writeProblem else { return nil }
        reconciler.metrics.ingestRefused()
        return .text(.serviceUnavailable, "the agent cannot write outcomes (\(problem)); \(again)\n")
    }

    /// Buffers the accepted outcomes and counts them; the 503 that refuses
    /// them all when the buffer holds too many buckets already.
    func keep(_ accepted: [Outcome], rejected: Int, again: String) -> Response? {
        guard ingest.add(accepted) else {
            reconciler.metrics.ingestRefused()
            return .text(.serviceUnavailable, "the agent holds \(IngestBuffer.maximumBuckets) buckets of outcomes it cannot write yet; "
                         + "nothing of this batch was kept: \(again)\n")
        }
        if !accepted.isEmpty { evidenceArrived() }
        reconciler.metrics.ingested(accepted: accepted.count, rejected: rejected)
        return nil
    }
}
