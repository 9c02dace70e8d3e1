import Foundation
import StewardEngine
import StewardSpec
import StewardStore

/// `GET /`: one small HTML page for a person — each rollout's phase, its
/// weight over time, its metrics against their thresholds, and the latest
/// decisions linked to their commits. Rendered on the server (no script, no
/// build step, no external asset) and refreshed by the browser every few
/// seconds. Every text from the repository is escaped.
struct StatusPage {
    var report: StatusReport
    var history: [WeightPoint]
    var now: Date
    /// The URL of a commit for a person; `{commit}` is replaced by its id.
    var commitURL: String?
    var refreshSeconds = 5

    var html: String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="refresh" content="\(refreshSeconds)">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Steward</title>
        <style>\(Self.style)</style></head>
        <body><h1>Steward</h1>
        \(agent)
        \(report.rollouts.map(section).joined(separator: "\n"))
        \(decisions)
        </body></html>

        """
    }

    private var agent: String {
        var parts = ["<p id=\"agent\">\(report.ready ? "ready" : "not ready"), acting on \(code(report.desiredRevision.map { String($0.prefix(7)) } ?? "none"))"]
        if let fetched = report.lastFetch { parts.append(", fetched \(TimeText.ago(now.timeIntervalSince(fetched))) ago") }
        parts.append("</p>")
        if let invalid = report.invalidRevision {
            parts.append("<div class=\"problem\"><p>The tip \(code(String(invalid.prefix(7)))) is not acted on:</p><ul>"
                + report.invalidDiagnostics.prefix(20).map { "<li>\(Self.escape($0))</li>" }.joined() + "</ul></div>")
        }
        if let error = report.lastError { parts.append("<p class=\"problem\">last error: \(Self.escape(error))</p>") }
        for retirement in report.retirements ?? [] { parts.append("<p class=\"problem\">base model retiring: \(Self.escape(retirement))</p>") }
        return parts.joined()
    }

    private func section(_ rollout: StatusReport.RolloutReport) -> String {
        let s = rollout.status
        let canary = s.canary.map { ", canary \(code($0.description)) at \(s.canaryWeight)%" } ?? ""
        let points = history.filter { $0.rollout == rollout.name }.map { (time: $0.time, weight: $0.weight) }
        let shares = s.split.isEmpty
            ? [(s.stable.description, 100 - s.canaryWeight)] + (s.canary.map { [($0.description, s.canaryWeight)] } ?? [])
            : s.split.map { ($0.version.description, $0.percent) }
        let traffic = shares.map { version, percent in
            "<div class=\"share\"><span class=\"bar\"><span style=\"width:\(percent)%\"></span></span> \(percent)% \(code(version))</div>"
        }.joined()
        let pause = (s.pauseReason.map { "<p class=\"problem\">paused: \(Self.escape($0))</p>" } ?? "")
            + (s.waitingFor.map { "<p>waiting: \(Self.escape($0))</p>" } ?? "")
            + (s.spend.isEmpty ? "" : "<p>spend: \(Self.escape(s.spend.joined(separator: "; ")))</p>")
        return """
            <section class="rollout" id="rollout-\(Self.escape(rollout.name))">
            <h2>\(Self.escape(rollout.name)) <span class="phase \(s.phase.rawValue)">\(s.phase.rawValue)</span></h2>
            <p>step \(s.stepIndex + 1), stable \(code(s.stable.description))\(canary)</p>
            \(traffic)\(pause)
            \(WeightChart(points: points, current: s.canaryWeight, now: now).svg)
            \(metrics(rollout))
            </section>
            """
    }

    private func metrics(_ rollout: StatusReport.RolloutReport) -> String {
        let verdicts = rollout.status.verdicts
        guard !verdicts.isEmpty else { return "<p class=\"quiet\">no metric judged yet</p>" }
        let rows = verdicts.keys.sorted().map { name -> String in
            let v = verdicts[name]!
            let relative = v.relativeToStable ? " × stable" : ""
            let value = v.value.map { Verdict.format($0) + relative } ?? "—"
            let interval = v.interval.map { "\(Verdict.format($0.lower))–\(Verdict.format($0.upper))" } ?? ""
            let outcome = v.outcome.rawValue + (v.qualifier.map { " (\($0))" } ?? "")
            return "<tr class=\"\(v.outcome.rawValue)\"><td>\(Self.escape(name))</td><td>\(outcome)</td><td>\(value)</td><td>\(interval)</td>"
                + "<td>fails \(v.comparison == .above ? "above" : "below") \(Verdict.format(v.threshold))\(relative)</td><td>\(v.samples)</td>"
                + "<td>\(Self.escape(v.note ?? v.samplesNeeded.map { "about \($0) more samples" } ?? ""))</td></tr>"
        }
        return "<table class=\"metrics\"><tr><th>metric</th><th>verdict</th><th>value</th><th>interval</th><th>threshold</th><th>samples</th><th>still needs</th></tr>"
            + rows.joined() + "</table>"
    }

    private var decisions: String {
        // Status commits are bookkeeping; the decisions are the traffic and the commits that matter.
        let shown = report.decisions.filter { !$0.action.hasPrefix("writeStatus") }.prefix(20)
        guard !shown.isEmpty else { return "<h2>Latest decisions</h2><p class=\"quiet\">none yet</p>" }
        let rows = shown.map { d -> String in
            let commit = d.commit.map { "<a href=\"\(Self.escape(link(to: $0)))\">\(String($0.prefix(7)))</a>" } ?? ""
            let state = d.state == "done" ? "" : " (\(Self.escape(d.state)))"
            return "<tr class=\"\(Self.escape(d.state))\"><td>\(TimeText.clock(d.time))</td><td>\(Self.escape(d.rollout))</td>"
                + "<td>\(Self.escape(d.action))\(state)</td><td>\(Self.escape(d.detail ?? ""))</td><td>\(commit)</td></tr>"
        }
        return "<h2>Latest decisions</h2><table id=\"decisions\"><tr><th>time</th><th>rollout</th><th>action</th><th>why</th><th>commit</th></tr>"
            + rows.joined() + "</table>"
    }

    /// The configured commit URL, or the agent's own view of the commit.
    func link(to commit: String) -> String {
        commitURL?.replacingOccurrences(of: "{commit}", with: commit) ?? "/v1/commits/\(commit)"
    }

    private func code(_ text: String) -> String { "<code>\(Self.escape(text))</code>" }

    /// Text made inert in HTML, in an element or an attribute.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:980px;color:#222}
        h1{font-size:20px}h2{font-size:16px;margin:1.2em 0 .3em}
        code{font:13px ui-monospace,monospace}
        .rollout{border-top:1px solid #ddd;padding-top:.3em}
        .phase{font-size:12px;padding:1px 6px;border-radius:8px;background:#eee}
        .phase.healthy{background:#d7f5dd}.phase.rolledBack,.phase.aborted,.phase.stopped{background:#fbd9d9}.phase.paused{background:#fff1c2}
        .share{font-size:13px}.bar{display:inline-block;width:200px;height:9px;background:#eee;vertical-align:middle}
        .bar span{display:block;height:9px;background:#4a7bd0}
        svg .grid{stroke:#e4e4e4}svg .axis{font-size:10px;fill:#777}svg .weight{fill:none;stroke:#4a7bd0;stroke-width:2}
        table{border-collapse:collapse;font-size:13px;margin:.4em 0}td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #eee}
        tr.fail td:nth-child(2){color:#b00020;font-weight:600}tr.pass td:nth-child(2){color:#0a7a2f}
        .problem{color:#b00020}.quiet{color:#777}
        """
}
