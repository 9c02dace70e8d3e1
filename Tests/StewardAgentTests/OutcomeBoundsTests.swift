import Foundation
import Testing
@testable import StewardAgent
import StewardOTLP
import StewardStore

/// Before: an outcome with `"time": 1e19` trapped the agent (Double to
/// Int64 in the outcome store), and times in milliseconds were stored as
/// far-future outcomes that were never pruned.
@Suite struct OutcomeBoundsTests {
    @Test func farFutureAndMillisecondTimesAreRefusedPerItem() throws {
        let now = 1_800_000_000.0
        let body = """
            {"outcomes": [
              {"model": "m", "version": "1.0.0", "time": 1e19, "latencyMs": 10, "ok": true},
              {"model": "m", "version": "1.0.0", "time": 1800000000000, "latencyMs": 10, "ok": true},
              {"model": "m", "version": "1.0.0", "time": 1800000000, "latencyMs": 10, "ok": true}
            ]}
            """
        let batch = try #require(OutcomeBatch(json: Data(body.utf8), now: now))
        #expect(batch.accepted.count == 1)
        #expect(batch.rejected.map(\.index) == [0, 1])
        #expect(batch.rejected.allSatisfy { $0.reason.contains("ahead of the agent's clock") })
    }

    @Test func aBucketOfAnyTimeNeverTraps() {
        for time in [1e19, 1e300, -1e19] {
            let outcome = Outcome(model: "m", version: "1.0.0", time: time, latencyMs: 1, ok: true)
            #expect(BucketKey(of: outcome).start >= 0)
        }
    }

    @Test func modelsAndVersionsTheRegistryDoesNotHaveAreRefusedPerItem() throws {
        let body = """
            {"outcomes": [
              {"model": "chat", "version": "1.0.0", "time": 1800000000, "latencyMs": 10, "ok": true},
              {"model": "chat", "version": "9.0.0", "time": 1800000000, "latencyMs": 10, "ok": true},
              {"model": "invented", "version": "1.0.0", "time": 1800000000, "latencyMs": 10, "ok": true}
            ]}
            """
        let batch = try #require(OutcomeBatch(json: Data(body.utf8), now: 1_800_000_000, known: ["chat": ["1.0.0"]]))
        #expect(batch.accepted.map(\.version) == ["1.0.0"])
        #expect(batch.rejected.map(\.reason) == ["version: '9.0.0' is not a version of Model 'chat' in the registry",
                                                  "model: 'invented' is not a Model in the registry"])
        // Before the agent has a desired state, it cannot tell: all are kept (the buffer's bound still holds).
        #expect(OutcomeBatch(json: Data(body.utf8), now: 1_800_000_000)?.accepted.count == 3)
    }

    @Test func theBufferHoldsABoundedNumberOfBucketsAndRefusesABatchWhole() async throws {
        let buffer = IngestBuffer(store: MemoryAgentStore().outcomes)
        func outcomes(_ models: Range<Int>) -> [Outcome] { models.map { Outcome(model: "m\($0)", version: "1.0.0", time: 1_800_000_000, latencyMs: 1, ok: true) } }
        #expect(buffer.add(outcomes(0..<IngestBuffer.maximumBuckets - 1)))
        #expect(!buffer.add(outcomes(IngestBuffer.maximumBuckets..<IngestBuffer.maximumBuckets + 2)), "two new buckets would pass the bound")
        #expect(buffer.add(outcomes(0..<1) + outcomes(IngestBuffer.maximumBuckets..<IngestBuffer.maximumBuckets + 1)), "one new bucket fits")
        #expect(!buffer.add(outcomes(IngestBuffer.maximumBuckets + 1..<IngestBuffer.maximumBuckets + 2)))
        try await buffer.flush()
        #expect(buffer.add(outcomes(IngestBuffer.maximumBuckets + 1..<IngestBuffer.maximumBuckets + 2)), "written buckets leave memory")
    }

    @Test func aStoreThatCannotWriteIsSaidAndNothingIsLost() async throws {
        let path = NSTemporaryDirectory() + "steward-store-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteAgentStore(path: path)
        let buffer = IngestBuffer(store: store.outcomes)
        buffer.add([Outcome(model: "m", version: "1.0.0", time: 1_800_000_000, latencyMs: 1, ok: true)])
        try await buffer.flush()
        #expect(buffer.writeProblem == nil)
        // The file under the open database stops being a database: every write fails, as on a full or broken disk.
        try Data(repeating: 0xFF, count: 8192).write(to: URL(fileURLWithPath: path))
        buffer.add([Outcome(model: "m", version: "1.0.0", time: 1_800_000_010, latencyMs: 1, ok: false)])
        await #expect(throws: (any Error).self) { try await buffer.flush() }
        #expect(buffer.writeProblem != nil)
        // The tally that could not be written is still held, for the next flush: it takes one place of the bound.
        func others(_ range: Range<Int>) -> [Outcome] { range.map { Outcome(model: "n\($0)", version: "1.0.0", time: 1_800_000_000, latencyMs: 1, ok: true) } }
        #expect(buffer.add(others(0..<IngestBuffer.maximumBuckets - 1)))
        #expect(!buffer.add(others(IngestBuffer.maximumBuckets..<IngestBuffer.maximumBuckets + 1)))
    }

    /// A version on the resource (one process, one version) makes its model
    /// calls outcomes, not its HTTP or database spans.
    @Test func aResourceVersionDoesNotMakeEverySpanAModelCall() {
        var resource = Opentelemetry_Proto_Collector_Trace_V1_ResourceSpans()
        resource.resource.attributes = [OTLPKeyValue("steward.model", text: "chat"), OTLPKeyValue("steward.version", text: "1.0.0")]
        var scope = Opentelemetry_Proto_Collector_Trace_V1_ScopeSpans()
        scope.spans = [Self.span("chat", [OTLPKeyValue("gen_ai.request.model", text: "gpt-4.1")]), Self.span("GET /health", [], failed: true),
                       Self.span("SELECT orders", [OTLPKeyValue("db.system", text: "postgresql")], failed: true)]
        resource.scopeSpans = [scope]
        var export = OTLPExportRequest()
        export.resourceSpans = [resource]
        let spans = SpanOutcomes(export, attributes: SpanAttributes(), now: 1_800_000_000, known: ["chat": ["1.0.0"]])
        #expect(spans.accepted.count == 1 && spans.accepted.first?.ok == true && spans.passedOver == 2 && spans.rejected.isEmpty)
    }


    /// A half-second span ending at 1,800,000,000.5 s, failed or not.
    static func span(_ name: String, _ attributes: [OTLPKeyValue], failed: Bool = false) -> OTLPSpan {
        var span = OTLPSpan()
        span.name = name
        span.startTimeUnixNano = 1_800_000_000_000_000_000
        span.endTimeUnixNano = 1_800_000_000_500_000_000
        span.attributes = attributes
        if failed { span.status.code = .error }
        return span
    }
}
