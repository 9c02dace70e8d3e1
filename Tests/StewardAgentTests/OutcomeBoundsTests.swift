import Foundation
import Testing
@testable import StewardAgent
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
            #expect(OutcomeStore.bucket(of: outcome).start >= 0)
        }
    }
}
