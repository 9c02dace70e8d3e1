import Foundation
import Testing
import StewardEngine
import StewardSpec
@testable import StewardStore

/// The ingest store: a real SQLite file, buckets of ten seconds, exact pooling.
@Suite struct OutcomeStoreTests {
    func temporaryStore() throws -> (AgentStore, String) {
        let path = NSTemporaryDirectory() + "steward-store-" + UUID().uuidString + ".sqlite"
        return (try AgentStore(path: path), path)
    }

    @Test func outcomesPoolExactlyOverAnyRangeOfBuckets() throws {
        let (store, path) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let start = 1_800_000_000.0
        var outcomes: [Outcome] = []
        for i in 0..<600 {
            // One request a tenth of a second for a minute; every tenth fails; latency grows with i.
            outcomes.append(Outcome(model: "m", version: "1.0.0", time: start + Double(i) / 10, latencyMs: Double(100 + i), ok: i % 10 != 0,
                                    inputTokens: 10, outputTokens: 5, cost: 0.001, rating: i % 2 == 0 ? 4 : nil,
                                    hallucination: i % 100 == 0, safetyViolation: false))
        }
        // In two batches, so that buckets are merged on disk.
        try store.outcomes.record(Array(outcomes[..<250]))
        try store.outcomes.record(Array(outcomes[250...]))
        let all = try store.outcomes.tally(model: "m", version: "1.0.0", from: start, to: start + 60)
        #expect(all.requests == 600 && all.errors == 60)
        #expect(all.hallucinationChecks == 600 && all.hallucinations == 6)
        #expect(all.rating.count == 300 && all.rating.sum == 1200)
        #expect(all.tokens.sum == 600 * 15)
        #expect(abs((all.latency.quantile(0.95) ?? 0) - 670) <= 7)  // within 1%
        // The first 30 seconds: three buckets, 300 requests.
        let half = try store.outcomes.tally(model: "m", version: "1.0.0", from: start, to: start + 30)
        #expect(half.requests == 300)
        #expect(try store.outcomes.tally(model: "m", version: "2.0.0", from: start, to: start + 60).requests == 0)
        // Reopening the file finds the same.
        let reopened = try AgentStore(path: path)
        #expect(try reopened.outcomes.tally(model: "m", version: "1.0.0", from: start, to: start + 60).errors == 60)
        // Retention drops old buckets.
        #expect(try store.outcomes.prune(before: start + 30) == 3)
        #expect(try store.outcomes.tally(model: "m", version: "1.0.0", from: start, to: start + 60).requests == 300)
    }

    @Test func badOutcomesSayWhy() {
        let good = Outcome(model: "m", version: "1.0.0", time: 1_800_000_000, latencyMs: 10, ok: true)
        #expect(good.problem == nil)
        var bad = good
        bad.latencyMs = .nan
        #expect(bad.problem == "latencyMs must be a number ≥ 0")
        bad = good
        bad.rating = 7
        #expect(bad.problem == "rating must be between 1 and 5")
        bad = good
        bad.version = ""
        #expect(bad.problem == "version is empty")
    }

    @Test func theJournalRemembersWhatWasInFlight() throws {
        let (store, path) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let done = try store.journal.begin(rollout: "r", action: "promote 1.1.0", revision: "abc")
        try store.journal.finish(done)
        _ = try store.journal.begin(rollout: "r", action: "rollback 1.1.0 -> 1.0.0", revision: "def")
        // A crash here: a new process finds the rollback pending.
        let pending = try AgentStore(path: path).journal.pending()
        #expect(pending.map(\.action) == ["rollback 1.1.0 -> 1.0.0"])
        try store.journal.settlePending("re-checked")
        #expect(try store.journal.pending().isEmpty)
        #expect(try store.journal.recent().map(\.state) == ["done", "done"])
    }
}

@Suite struct ActionJournalTests {
    @Test func eachFinishedActionKeepsTheStatusItLeftAndTheLatestIsFound() throws {
        let path = NSTemporaryDirectory() + "journal-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let stable = try #require(SemanticVersion("1.0.0")), canary = try #require(SemanticVersion("1.1.0"))
        var status = RolloutStatus.starting(canary, over: stable, at: Moment(secondsSinceEpoch: 100))
        status.canaryWeight = 20
        status.verdicts["error-rate"] = Verdict(metric: "error-rate", outcome: .inconclusive, severity: .critical, value: 0.01,
                                                interval: .init(lower: 0, upper: .infinity), threshold: 0.05, comparison: .above,
                                                relativeToStable: false, samples: 120, samplesNeeded: 80)
        do {
            let journal = try AgentStore(path: path).journal
            let first = try journal.begin(rollout: "r", action: "setWeights 1.1.0 5%", revision: "abc")
            try journal.finish(first, status: .starting(canary, over: stable, at: Moment(secondsSinceEpoch: 50)))
            let second = try journal.begin(rollout: "r", action: "setWeights 1.1.0 20%", revision: "abc")
            try journal.finish(second, status: status, commit: "c0ffee", why: "step 2")
            let failed = try journal.begin(rollout: "r", action: "promote 1.1.0", revision: "abc")
            try journal.fail(failed, reason: "git unreachable")
            _ = try journal.begin(rollout: "other", action: "pause", revision: "abc")
        }
        // A restarted agent opens the same file.
        let journal = try AgentStore(path: path).journal
        #expect(try journal.latestStatuses() == ["r": status])
        #expect(try journal.pending().map(\.rollout) == ["other"])
        let recent = try journal.recent()
        #expect(recent.map(\.state) == ["pending", "failed", "done", "done"])
        #expect(recent[1].detail == "git unreachable" && recent[2].status == status)
        #expect(recent[2].commit == "c0ffee" && recent[2].detail == "step 2" && recent[3].commit == nil)
        // The chart's history: each traffic change, oldest first, read from the stored statuses.
        let history = try journal.weightHistory(since: Date(timeIntervalSince1970: 0))
        #expect(history.map(\.weight) == [0, 20] && history.map(\.canary) == ["1.1.0", "1.1.0"] && history.allSatisfy { $0.rollout == "r" })
        #expect(try journal.weightHistory(since: Date().addingTimeInterval(60)).isEmpty)
    }
}
