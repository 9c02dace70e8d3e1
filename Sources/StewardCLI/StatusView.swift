import Foundation
import StewardAgent
import StewardEngine
import StewardStore

/// What `steward status` shows a person: the agent, then each rollout's
/// phase, its traffic as bars, each metric's verdict on the evidence so far,
/// and the latest decisions.
struct StatusView {
    var report: StatusReport
    /// When the view is drawn, for "3 s ago".
    var now: Date
    /// Bars on a terminal; plain lines, easy to grep, otherwise.
    var bars: Bool

    var text: String {
        var out: [String] = []
        let revision = report.desiredRevision.map { String($0.prefix(7)) } ?? "none"
        var agent = "agent: \(report.ready ? "ready" : "not ready"), acting on \(revision)"
        if let fetched = report.lastFetch { agent += ", fetched \(TimeText.ago(now.timeIntervalSince(fetched))) ago" }
        out.append(agent)
        if let invalid = report.invalidRevision {
            out.append("the tip \(invalid.prefix(7)) is not acted on:")
            out += report.invalidDiagnostics.prefix(10).map { "  \($0)" }
        }
        out += replicaLines
        if let error = report.lastError { out.append("last error: \(error)") }
        if let problem = report.outcomeWriteProblem { out.append("outcomes refused (503), cannot be written: \(problem)") }
        out += (report.retirements ?? []).map { "warning: \($0)" }
        for rollout in report.rollouts { out += [""] + lines(for: rollout) }
        let decisions = report.decisions.filter { !$0.action.hasPrefix("writeStatus") }.prefix(8)
        if !decisions.isEmpty {
            out += ["", "latest decisions:"]
            out += decisions.map { d in
                let state = d.state == "done" ? d.detail.map { ": \($0)" } ?? "" : "  (\(d.state)\(d.detail.map { ": \($0)" } ?? ""))"
                return "  \(TimeText.clock(d.time))  \(d.rollout)  \(d.action)\(state)"
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// With several replicas: who holds which shards until when, and each version's outcomes over the last day.
    private var replicaLines: [String] {
        guard let shards = report.shards else { return [] }
        var out: [String] = []
        let held = Dictionary(grouping: shards.filter { $0.holder != nil && $0.expires > now }, by: { $0.holder ?? "" })
        for (holder, leases) in held.sorted(by: { $0.key < $1.key }) {
            let this = holder == report.replica ? " (this one)" : ""
            let until = leases.map(\.expires).min().map { ", renewed until \(TimeText.clock($0)) at least" } ?? ""
            out.append("replica \(holder.prefix(8))\(this) on \(leases.first?.host ?? "?"): shards \(leases.map { "\($0.shard)" }.joined(separator: ",")) "
                       + "(terms \(Set(leases.map(\.term)).sorted().map(String.init).joined(separator: ",")))\(until)")
        }
        let free = shards.filter { $0.holder == nil || $0.expires <= now }.map(\.shard)
        if !free.isEmpty { out.append("shards held by no replica now: \(free.map(String.init).joined(separator: ","))") }
        for total in report.outcomeTotals ?? [] {
            out.append("outcomes in the last day, all replicas: \(total.model) \(total.version): \(Int(total.requests)) requests, \(Int(total.errors)) errors")
        }
        return out
    }

    private func lines(for rollout: StatusReport.RolloutReport) -> [String] {
        let s = rollout.status
        var out: [String] = []
        let canary = s.canary.map { ", \($0) at \(s.canaryWeight)%" } ?? ""
        out.append("\(rollout.name): \(s.phase.rawValue) at step \(s.stepIndex + 1), \(s.stable) stable\(canary)")
        if bars {
            if s.split.isEmpty {
                out.append("  \(Self.bar(100 - s.canaryWeight)) \(s.stable)")
                if let canary = s.canary { out.append("  \(Self.bar(s.canaryWeight)) \(canary)") }
            } else {
                out += s.split.map { "  \(Self.bar($0.percent)) \($0.version)" }
            }
        }
        if let reason = s.pauseReason { out.append("  paused: \(reason)") }
        if let waiting = s.waitingFor { out.append("  waiting: \(waiting)") }
        if !s.spend.isEmpty { out.append("  spend: " + s.spend.joined(separator: "; ")) }
        for metric in s.verdicts.keys.sorted() {
            let verdict = s.verdicts[metric]!
            let word = verdict.outcome.rawValue + (verdict.qualifier.map { ", " + $0 } ?? "")
            // Padded, never cut: `padding(toLength:)` would cut "inconclusive, leaning to fail" to its first 14 characters.
            let column = word.padding(toLength: max(14, word.count), withPad: " ", startingAt: 0)
            out.append("  \(column) \(rollout.verdictText[metric] ?? verdict.description)")
        }
        return out
    }

    /// A 20-cell bar with the percentage after it.
    static func bar(_ percent: Int) -> String {
        let filled = max(0, min(20, (percent + 2) / 5))
        let cells = String(repeating: "█", count: filled) + String(repeating: "░", count: 20 - filled)
        let number = String(percent)
        return cells + " " + String(repeating: " ", count: max(0, 3 - number.count)) + number + "%"
    }
}
