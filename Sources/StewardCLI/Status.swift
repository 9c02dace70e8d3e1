import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `steward status`: where every rollout stands, from a running agent.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show where each rollout stands, from a running agent's /v1/status.",
        discussion: "Phase, step, weights, and each metric's verdict on the evidence so far, with what it still needs."
    )

    @Option(help: "The agent's URL.")
    var agent: String = ProcessInfo.processInfo.environment["STEWARD_AGENT"] ?? "http://127.0.0.1:7480"

    @Option(help: "table or json.")
    var format: StatusFormat = .table

    enum StatusFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

    func run() throws {
        guard let url = URL(string: agent + "/v1/status") else { throw ValidationError("--agent: '\(agent)' is not a URL") }
        var request = URLRequest(url: url)
        request.timeoutInterval = 10
        let (body, _, failure) = exchange(request)
        guard let body, let report = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            printError("steward: error: no status from \(agent): \(failure ?? "not the agent's JSON")")
            throw ExitCode(2)
        }
        if format == .json {
            print(String(decoding: body, as: UTF8.self))
            return
        }
        print(Self.table(report), terminator: "")
    }

    static func table(_ report: [String: Any]) -> String {
        var out = ""
        let revision = (report["desiredRevision"] as? String).map { String($0.prefix(7)) } ?? "none"
        out += "agent: \((report["ready"] as? Bool) == true ? "ready" : "not ready"), acting on \(revision)\n"
        if let invalid = report["invalidRevision"] as? String {
            out += "the tip \(invalid.prefix(7)) is not valid and is not acted on:\n"
            out += ((report["invalidDiagnostics"] as? [String]) ?? []).prefix(10).map { "  \($0)\n" }.joined()
        }
        if let error = report["lastError"] as? String { out += "last error: \(error)\n" }
        for rollout in (report["rollouts"] as? [[String: Any]]) ?? [] {
            let name = rollout["name"] as? String ?? "?", phase = rollout["phase"] as? String ?? "?"
            let stable = rollout["stable"] as? String ?? "?", weight = rollout["canaryWeight"] as? Int ?? 0
            let canary = (rollout["canary"] as? String).map { ", \($0) at \(weight)%" } ?? ""
            out += "\n\(name): \(phase) at step \(rollout["step"] as? Int ?? 0), \(stable) stable\(canary)\n"
            if let reason = rollout["pauseReason"] as? String { out += "  paused: \(reason)\n" }
            for verdict in (rollout["verdicts"] as? [[String: Any]]) ?? [] {
                out += "  \(verdict["outcome"] as? String ?? "?")  \(verdict["text"] as? String ?? "")\n"
            }
        }
        return out
    }
}
