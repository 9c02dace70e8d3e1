import Foundation
import NIOCore
import StewardEngine
import StewardSpec
import StewardStore
import Testing
@testable import StewardAgent

@Suite struct StatusPageTests {
    func report(diagnostics: [String] = [], decisions: [StatusReport.Decision] = []) throws -> StatusReport {
        var state = AgentSnapshot.State()
        state.ready = true
        state.desiredRevision = "0123456789abcdef"
        state.invalidRevision = diagnostics.isEmpty ? nil : "fedcba9876543210"
        state.invalidDiagnostics = diagnostics
        let stable = try #require(SemanticVersion("1.0.0")), canary = try #require(SemanticVersion("1.1.0"))
        var status = RolloutStatus.starting(canary, over: stable, at: Moment(secondsSinceEpoch: 0))
        status.canaryWeight = 20
        state.statuses = ["chat": status]
        var report = StatusReport(state, journal: [])
        report.decisions = decisions
        return report
    }

    @Test func textFromTheRepositoryIsInert() throws {
        let page = StatusPage(report: try report(diagnostics: ["rollouts/a.yaml:3:1: error: <script>alert(\"x\")</script> & 'more'"]),
                              history: [], now: Date(), commitURL: nil)
        #expect(page.html.contains("<li>rollouts/a.yaml:3:1: error: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;more&#39;</li>"))
        #expect(!page.html.contains("<script"))
    }

    @Test func decisionsLinkToTheConfiguredCommitURLOrToTheAgent() throws {
        let decision = StatusReport.Decision(time: Date(), rollout: "chat", action: "promote 1.1.0", state: "done", detail: nil,
                                             revision: "abc", commit: "89abcdef0123456789abcdef0123456789abcdef")
        let report = try report(decisions: [decision])
        let linked = StatusPage(report: report, history: [], now: Date(), commitURL: "https://git.example.com/models/commit/{commit}").html
        #expect(linked.contains("<a href=\"https://git.example.com/models/commit/89abcdef0123456789abcdef0123456789abcdef\">89abcde</a>"))
        let own = StatusPage(report: report, history: [], now: Date(), commitURL: nil).html
        #expect(own.contains("<a href=\"/v1/commits/89abcdef0123456789abcdef0123456789abcdef\">89abcde</a>"))
    }

    @Test func theChartStepsThroughEachChangeToNow() {
        let now = Date(timeIntervalSince1970: 10_000)
        let chart = WeightChart(points: [(now.addingTimeInterval(-600), 5), (now.addingTimeInterval(-300), 50)], current: 0, now: now).svg
        // x from 36 to 596 over the 600 s shown; y 102 at 0%, 8 at 100%.
        #expect(chart.contains("points=\"36.0,97.3 316.0,97.3 316.0,55.0 596.0,55.0 596.0,102.0\""), "\(chart)")
        let flat = WeightChart(points: [], current: 30, now: now).svg
        #expect(flat.contains("points=\"36.0,73.8 596.0,73.8\""), "\(flat)")
    }
}

/// Before: every load of the status page rendered it afresh; with a
/// thousand rollouts, forty loads a second saturated both cores.
@Suite struct RenderedPageTests {
    @Test func manyLoadsAtOnceRenderThePageOnceAndAStalePageAgain() async throws {
        let page = RenderedPage(freshFor: 0.3)
        let renders = Counter()
        func load() async throws -> String {
            String(buffer: try await page.page {
                renders.add()
                try await Task.sleep(for: .milliseconds(50))
                return "page \(renders.value)"
            })
        }
        _ = try await load()
        let pages = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<40 { group.addTask { try await load() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(renders.value == 1)
        #expect(Set(pages) == ["page 1"])
        try await Task.sleep(for: .milliseconds(400))
        #expect(try await load() == "page 2")
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func add() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }
}
