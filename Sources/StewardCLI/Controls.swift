import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StewardEngine
import StewardSpec
import StewardYAML

/// What every manual control takes: the rollout, the checkout, and whether to push.
struct ControlOptions: ParsableArguments {
    @Argument(help: "The rollout (its metadata.name).")
    var rollout: String

    @Option(help: "The checkout of the desired-state repository.")
    var repo: String = "."

    @Flag(help: "Push the commit to the branch's upstream.")
    var push = false
}

/// A manual control is a commit: the Rollout's `steward.dev/…` annotation,
/// set (or removed) by a byte-exact edit that keeps comments, committed with
/// the person's own git identity and a `Steward-Action` trailer.
struct ControlCommit {
    let options: ControlOptions

    enum Change {
        case set(ManualControl, String)
        case remove(ManualControl)
        /// A field of the rollout's spec, written plain (`canary: 2.4.0`, `retry: true`).
        case setSpec(String, String)
    }

    func commit(_ action: String, _ changes: [Change]) throws {
        let loaded: LoadResult
        do {
            loaded = try DesiredStateLoader().load(directory: options.repo)
        } catch {
            printError("steward: error: \(error)")
            throw ExitCode(2)
        }
        guard let rollout = loaded.state.rollouts[options.rollout] else {
            let known = loaded.state.rollouts.keys.sorted().joined(separator: ", ")
            printError("steward: error: no Rollout named '\(options.rollout)' in \(options.repo)" + (known.isEmpty ? "" : "; rollouts: \(known)"))
            throw ExitCode(1)
        }
        let file = rollout.source.file
        var bytes = [UInt8](FileManager.default.contents(atPath: file) ?? Data())
        var applied = 0
        for change in changes {
            do {
                let editor = try YAMLEditor(source: bytes, file: file)
                let annotations: FieldPath = ["metadata", "annotations"]
                switch change {
                case .set(let control, let value):
                    bytes = try TextEdit.apply([try editor.setEntry(control.rawValue, to: value, inMapping: annotations,
                                                                    inDocument: rollout.source.documentIndex)], to: bytes)
                    applied += 1
                case .setSpec(let key, let value):
                    bytes = try TextEdit.apply([try editor.setEntry(key, to: value, inMapping: ["spec"], inDocument: rollout.source.documentIndex,
                                                                    style: .plain)], to: bytes)
                    applied += 1
                case .remove(let control):
                    guard rollout.metadata.annotations[control.rawValue] != nil else { continue }
                    bytes = try TextEdit.apply([try editor.removeEntry(at: annotations.appending(control.rawValue),
                                                                       inDocument: rollout.source.documentIndex)], to: bytes)
                    applied += 1
                }
            } catch {
                printError("steward: error: \(file): \(error)")
                throw ExitCode(1)
            }
        }
        guard applied > 0 else {
            print("\(options.rollout): nothing to change")
            return
        }
        let relative = file.hasPrefix(options.repo + "/") ? String(file.dropFirst(options.repo.count + 1)) : file
        // Everything that could fail is checked before the file is touched: nothing is written unless the commit is made.
        try checkCommittable(file, relative)
        let original = [UInt8](FileManager.default.contents(atPath: file) ?? Data())
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: file))
        } catch {
            printError("steward: error: cannot write \(file): \(Self.reason(error))")
            throw ExitCode(1)
        }
        let message = """
            \(action) \(options.rollout)

            Steward-Action: \(action)
            Steward-Rollout: \(options.rollout)
            """
        do {
            try git(["add", "--", relative])
            try git(["commit", "-q", "-m", message, "--", relative])
        } catch {
            // The file goes back as it was, and so does its entry in the index.
            try? Data(original).write(to: URL(fileURLWithPath: file))
            _ = try? git(["reset", "-q", "--", relative], quiet: true)
            printError("steward: \(file) is as it was; nothing was committed")
            throw error
        }
        print("\(options.rollout): committed \(action)")
        if options.push {
            try git(["push", "-q"])
            print("\(options.rollout): pushed")
        }
    }

    /// A control commits its own edit and nothing else: the rollout's file
    /// must have no uncommitted changes (they would go in with it), the
    /// checkout must be a git repository whose index is free, the file
    /// writable, and git must know who is committing.
    private func checkCommittable(_ file: String, _ relative: String) throws {
        func refuse(_ why: String) throws -> Never {
            printError("steward: error: \(why); nothing was changed")
            throw ExitCode(1)
        }
        guard (try? git(["rev-parse", "--git-dir"], quiet: true)) != nil else {
            try refuse("\(options.repo) is not a git repository (a control is a commit)")
        }
        let gitDirectory = try git(["rev-parse", "--absolute-git-dir"]).trimmingCharacters(in: .whitespacesAndNewlines)
        if FileManager.default.fileExists(atPath: gitDirectory + "/index.lock") {
            try refuse("another git process holds \(gitDirectory)/index.lock (if none is running, remove it)")
        }
        let changes = try git(["status", "--porcelain", "--", relative])
        guard changes.isEmpty else {
            try refuse("\(file) has uncommitted changes, which a control would commit with its own: commit or stash them first")
        }
        guard access(file, W_OK) == 0 else { try refuse("cannot write \(file): \(String(cString: strerror(errno)))") }
        guard (try? git(["var", "GIT_COMMITTER_IDENT"], quiet: true)) != nil else {
            try refuse("git does not know who you are: set user.name and user.email (git config), the control is committed as you")
        }
    }

    /// An error's reason in words (Foundation's file errors carry the POSIX one inside).
    static func reason(_ error: any Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let code = underlying.map({ Int32($0.code) }), underlying?.domain == NSPOSIXErrorDomain { return String(cString: strerror(code)) }
        return (error as NSError).localizedDescription
    }

    /// Runs git in the checkout; its standard output, or an error with git's own words.
    @discardableResult
    private func git(_ arguments: [String], quiet: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", options.repo] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // One after the other: what these git commands print (one path's status, a directory) is far below a pipe's buffer.
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            if !quiet { printError("steward: error: git \(arguments.first ?? "") failed: \(errorText.trimmingCharacters(in: .whitespacesAndNewlines))") }
            throw ExitCode(1)
        }
        return output
    }

    /// A one-shot control's token: the time, so each request is new.
    static var token: String { ISO8601DateFormatter().string(from: Date()) }
}

struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Hold a rollout's traffic where it is until `steward resume`.")
    @OptionGroup var options: ControlOptions
    func run() throws { try ControlCommit(options: options).commit("pause", [.set(.pause, "true")]) }
}

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Continue a paused rollout, or one waiting at a pause step.")
    @OptionGroup var options: ControlOptions
    func run() throws { try ControlCommit(options: options).commit("resume", [.remove(.pause), .set(.resume, ControlCommit.token)]) }
}

struct AbortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "abort", abstract: "Send all traffic to stable and stop the rollout, without a revert.")
    @OptionGroup var options: ControlOptions
    func run() throws { try ControlCommit(options: options).commit("abort", [.set(.abort, ControlCommit.token)]) }
}

struct PromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "promote", abstract: "Finish the current step now (or cut a blue-green preview over).")
    @OptionGroup var options: ControlOptions
    func run() throws { try ControlCommit(options: options).commit("promote", [.set(.promote, ControlCommit.token)]) }
}

struct PromoteFullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "promote-full", abstract: "Skip every remaining step and promote the canary.")
    @OptionGroup var options: ControlOptions
    func run() throws { try ControlCommit(options: options).commit("promote-full", [.set(.promoteFull, ControlCommit.token)]) }
}

struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Start an aborted or rolled-back canary again from its first step.",
        discussion: """
            A rollback by revert takes the canary out of the rollout, and marks the version rolledBack in its model: \
            give --version to make it the canary again, with retry: true (which the agent takes off at the next \
            rollback), in one commit.
            """)
    @OptionGroup var options: ControlOptions

    @Option(help: "The version to try again as the canary (one the agent rolled back and took out of the rollout).")
    var version: String?

    func validate() throws {
        if let version, SemanticVersion(version) == nil { throw ValidationError("--version must be a version such as 2.4.0, found '\(version)'") }
    }

    func run() throws {
        let again: [ControlCommit.Change] = version.map { [.setSpec("canary", $0), .setSpec("retry", "true")] } ?? []
        try ControlCommit(options: options).commit("retry", again + [.set(.retry, ControlCommit.token)])
    }
}

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Emergency stop: all traffic to stable now, held until `steward unstop`.",
        discussion: "With --agent, the agent also stops the rollout at once, before the commit reaches it (or when git is unreachable).")
    @OptionGroup var options: ControlOptions
    @Option(help: "The agent's URL, e.g. http://127.0.0.1:7480, to stop at once.")
    var agent: String?
    @Option(help: "A file holding the agent's API token.")
    var tokenFile: String?

    func run() throws {
        if let agent { try Self.stopNow(agent: agent, rollout: options.rollout, tokenFile: tokenFile) }
        try ControlCommit(options: options).commit("stop", [.set(.emergencyStop, "true")])
    }

    static func stopNow(agent: String, rollout: String, tokenFile: String?) throws {
        guard let url = URL(string: agent + "/v1/rollouts/\(rollout)/stop") else { throw ValidationError("--agent: '\(agent)' is not a URL") }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        if let tokenFile, let token = FileManager.default.contents(atPath: tokenFile) {
            request.setValue("Bearer " + String(decoding: token, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
                             forHTTPHeaderField: "Authorization")
        }
        let status = exchange(request).status
        guard status == 202 else {
            printError("steward: warning: the agent did not stop \(rollout) at once (HTTP \(status)); the commit will")
            return
        }
        print("\(rollout): stopped at once by the agent")
    }
}

struct UnstopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unstop", abstract: "Lift an emergency stop; the rollout starts again from its first step.")
    @OptionGroup var options: ControlOptions
    func run() throws { try ControlCommit(options: options).commit("unstop", [.remove(.emergencyStop)]) }
}
