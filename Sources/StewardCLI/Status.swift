import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StewardAgent

/// `steward status`: where every rollout stands, from a running agent.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show where each rollout stands, from a running agent's /v1/status.",
        discussion: """
            Phase, step, weights, each metric's verdict on the evidence so far with what it still needs, and the \
            agent's latest decisions. With --watch it follows the agent: on a terminal it redraws in place; \
            otherwise it prints the view again, after a line with the time, each time it changes.
            """
    )

    @Option(help: "The agent's URL.")
    var agent: String = ProcessInfo.processInfo.environment["STEWARD_AGENT"] ?? "http://127.0.0.1:7480"

    @Option(help: "table or json.")
    var format: StatusFormat = .table

    @Flag(help: "Keep following the agent until interrupted (Ctrl-C).")
    var watch = false

    @Option(help: "Seconds between looks with --watch.")
    var interval: Double = 1

    @Option(help: "With --watch, stop after this many looks (for scripts and tests).")
    var count: Int?

    enum StatusFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

    func validate() throws {
        guard interval > 0, interval <= 3600 else { throw ValidationError("--interval must be between 0 and 3600 seconds") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() throws {
        guard let url = URL(string: agent + "/v1/status") else { throw ValidationError("--agent: '\(agent)' is not a URL") }
        guard watch else {
            print(try look(url), terminator: "")
            return
        }
        let terminal = isatty(STDOUT_FILENO) == 1
        var shown = "", looks = 0
        while count.map({ looks < $0 }) ?? true {
            looks += 1
            // An agent that is restarting is waited for, not given up on.
            let view = (try? look(url, bars: terminal)) ?? "no answer from \(agent) yet; trying again\n"
            if terminal {
                print("\u{1B}[H\u{1B}[2J" + view, terminator: "")
            } else if view != shown {
                print("-- \(TimeText.clock(Date()))\n" + view, terminator: "")
            }
            shown = view
            fflush(nil)
            if count.map({ looks < $0 }) ?? true { Thread.sleep(forTimeInterval: interval) }
        }
    }

    /// One look at the agent, as the chosen format.
    private func look(_ url: URL, bars: Bool = false) throws -> String {
        var request = URLRequest(url: url)
        request.timeoutInterval = 10
        let (body, status, failure) = exchange(request)
        guard let body else {
            printError("steward: error: no status from \(agent): \(failure ?? "no answer")")
            throw ExitCode(2)
        }
        guard status == 200 else {
            let said = terminalSafe(String(decoding: body.prefix(200), as: UTF8.self)).split(separator: "\n").first.map(String.init) ?? ""
            printError("steward: error: \(agent) answered HTTP \(status) to GET /v1/status" + (said.isEmpty ? "" : ": \(said)")
                       + "; is it a Steward agent's address?")
            throw ExitCode(2)
        }
        // An agent's answer must not move the cursor or retitle the terminal (valid JSON never holds a raw control character).
        if format == .json { return terminalSafe(String(decoding: body, as: UTF8.self)) + "\n" }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            let report = try decoder.decode(StatusReport.self, from: body)
            return terminalSafe(StatusView(report: report, now: Date(), bars: bars).text)
        } catch let error as DecodingError {
            let why = describeDecoding(StatusReport.self, body, error, decoder: decoder, expected: "expected the JSON of a Steward agent's /v1/status",
                                       document: "an object")
            printError("steward: error: \(agent) did not answer with an agent's status: \(terminalSafe(why))")
            throw ExitCode(2)
        } catch {
            printError("steward: error: \(agent) did not answer with an agent's status: \(error)")
            throw ExitCode(2)
        }
    }
}
