import ArgumentParser
import Foundation
import StewardEngine
import StewardGit
import StewardSpec
import StewardYAML

/// `steward plan`: what the agent will do once a pull request merges.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what the agent will do once this change merges.",
        discussion: """
            Compares the desired state in the work tree at --repo (the pull \
            request's head) with the one at --base (read from git, without \
            checking it out) and lists which rollouts start, restart, change \
            steps, promote or return to stable, which versions change status, \
            and the least time each rollout will take. Below that, the \
            versions the policy's retention and deprecation rules will retire, \
            with their dates (the agent commits each when it falls due).

            Exit status, like `terraform plan -detailed-exitcode`: 0 nothing \
            changes, 2 something changes, 1 an error (the head does not \
            validate, a lifecycle transition is not allowed, git failed).
            """
    )

    @Option(help: "The git work tree holding the desired state (the head).")
    var repo: String = "."

    @Option(help: "The revision to compare with, e.g. origin/main.")
    var base: String = "HEAD"

    @Option(name: .customLong("include"), help: ArgumentHelp("Read only these paths (repeatable).", valueName: "subpath"))
    var includes: [String] = []

    @Option(help: "The agent's status: a status file, or a folder of them (status/<rollout>.yaml).")
    var status: String?

    @Option(help: "text, markdown (for a pull-request comment) or json.")
    var format: PlanFormat = .text

    enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
        case text, markdown, json
    }

    func run() throws {
        let paths = includes.isEmpty ? ["."] : includes
        let repository: Repository
        let untracked: @Sendable (String) -> Bool
        do {
            repository = try Repository.open(repo)
            // The head is the work tree as a commit would hold it: what git ignores and submodules are not part of it.
            untracked = try repository.untrackedByGit()
        } catch {
            printError("steward: error: \(error)")
            throw ExitCode(1)
        }
        let head = try loadValid(directory: repo, paths: paths, excluding: untracked, unreadable: 1)
        let baseState: DesiredState
        let baseCommit: ObjectID
        do {
            baseCommit = try repository.resolveCommit(base)
            let files = try repository.yamlFiles(at: baseCommit, under: paths)
            let loaded = DesiredStateLoader().load(files.map { SourceFile(path: "\(base):\($0.path)", bytes: $0.bytes) })
            for problem in loaded.diagnostics where problem.severity == .error {
                printError("steward: warning: the base does not validate: \(problem)")
            }
            baseState = loaded.state
        } catch {
            printError("steward: error: \(error)")
            throw ExitCode(1)
        }
        let status = try currentStatus()
        let changes = ChangePlanner.compare(base: baseState, head: head, status: status)
        let now = Moment(secondsSinceEpoch: Date().timeIntervalSince1970)
        let report = PlanReport(base: base, commit: baseCommit.short, changes: changes,
                                lifecycle: LifecycleSweep.schedule(head, statuses: status, now: now), now: now,
                                retirements: UpgradePlanner.retirements(head, now: now))
        print(report.render(format), terminator: "")
        if changes.contains(where: \.isError) { throw ExitCode(1) }
        if !changes.isEmpty { throw ExitCode(2) }
    }
}

extension Plan {
    static let maxStatusBytes = 1 << 20

    /// The status files named by `--status`, by rollout.
    func currentStatus() throws -> [String: RolloutStatus] {
        guard let status else { return [:] }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: status, isDirectory: &isDirectory) else {
            printError("steward: error: \(status): no such file or directory")
            throw ExitCode(1)
        }
        let files = isDirectory.boolValue
            ? ((try? FileManager.default.contentsOfDirectory(atPath: status)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted().map { status + "/" + $0 }
            : [status]
        let bag = DiagnosticBag()
        var result: [String: RolloutStatus] = [:]
        // Confined to the folder (or the file's own folder): a pull request may add a status file that links to a secret.
        let confinement = Confinement(around: status)
        for file in files {
            switch confinement.read(file, maxBytes: Self.maxStatusBytes) {
            case .success(let bytes):
                if let (rollout, decoded) = StatusFile.decode(bytes, file: file, bag: bag) { result[rollout] = decoded }
            case .failure(let refusal):
                printError("steward: error: \(refusal)")
                throw ExitCode(1)
            }
        }
        guard !bag.hasErrors else {
            for problem in bag.diagnostics { printError("\(problem)") }
            throw ExitCode(1)
        }
        return result
    }
}

/// `steward plan`'s output.
struct PlanReport {
    let base: String
    let commit: String
    let changes: [PlannedChange]
    /// What the policies schedule on the head; not a change of the pull request.
    let lifecycle: LifecycleSweep.Schedule
    let now: Moment
    /// Versions whose base model retires within the policy's notice, or has retired.
    var retirements: [RetirementWarning] = []

    /// `on 2027-02-18`, or `due now` for what the agent's next sweep commits.
    private func when(_ transition: LifecycleTransition) -> String {
        transition.due <= now ? "due now" : "on " + transition.due.utcText.prefix(10)
    }

    private var scheduled: [String] {
        lifecycle.transitions.map { "\($0.model) \($0.version): \($0.from.rawValue) → \($0.toText) \(when($0)) (\($0.rule))" }
            + lifecycle.undated.map { "\($0): no date to count its age from; add `since: YYYY-MM-DD` (when it entered its status)" }
    }

    func render(_ format: Plan.PlanFormat) -> String {
        switch format {
        case .text: text()
        case .markdown: markdown()
        case .json: json()
        }
    }

    private var headline: String {
        let errors = changes.filter(\.isError).count
        let count = changes.count == 1 ? "1 change" : "\(changes.count) changes"
        return changes.isEmpty ? "no changes against \(base) (\(commit))"
            : "\(count) against \(base) (\(commit))" + (errors > 0 ? ", \(errors) not allowed" : "")
    }

    func text() -> String {
        var out = "steward plan: \(headline)\n"
        for change in changes {
            out += "\n\(change.isError ? "error: " : "")\(change.subject)\n  \(change.summary)\n"
            if let duration = change.minimumDuration { out += "  takes at least \(duration)\n" }
            if !change.evidence.isEmpty { out += "  evidence so far:\n" + change.evidence.map { "    \($0)\n" }.joined() }
        }
        if !scheduled.isEmpty {
            out += "\nScheduled by the policy (retention and deprecation):\n" + scheduled.map { "  \($0)\n" }.joined()
        }
        if !retirements.isEmpty {
            out += "\n" + retirements.map { "warning: \($0)\n" }.joined()
        }
        // A status file's pause reason or verdict must not move the cursor or retitle the terminal.
        return terminalSafe(out)
    }

    func markdown() -> String {
        var out = "### \(changes.contains(where: \.isError) ? "❌" : "📋") steward plan\n\n\(headline.prefix(1).uppercased() + headline.dropFirst()).\n"
        if !changes.isEmpty {
            out += "\n| | Subject | What happens | At least |\n|---|---|---|---|\n"
            for change in changes {
                let summary = markdownCell(([change.summary] + change.evidence).joined(separator: "; "))
                out += "| \(change.isError ? "❌" : "") | \(change.subject) | \(summary) | \(change.minimumDuration ?? "") |\n"
            }
        }
        if !retirements.isEmpty {
            out += "\n" + retirements.map { "⚠️ \(markdownCell($0.description))\n\n" }.joined()
        }
        if !scheduled.isEmpty {
            out += "\n<details><summary>Scheduled by the policy (\(scheduled.count))</summary>\n\n" + scheduled.map { "- \(markdownCell($0))\n" }.joined() + "\n</details>\n"
        }
        return out
    }

    func json() -> String {
        struct Scheduled: Encodable {
            var model: String
            var version: String
            var from: String
            var to: String
            var due: String
            var rule: String
        }
        struct Output: Encodable {
            var schema = 1
            var base: String
            var baseCommit: String
            var changes: [PlannedChange]
            var errors: Int
            var lifecycle: [Scheduled]
            var undated: [String]
            var retirements: [String]
        }
        let scheduled = lifecycle.transitions.map {
            Scheduled(model: $0.model, version: $0.version.description, from: $0.from.rawValue, to: $0.toText,
                      due: max($0.due, now).utcText, rule: $0.rule)
        }
        return prettyJSON(Output(base: base, baseCommit: commit, changes: changes, errors: changes.filter(\.isError).count,
                                 lifecycle: scheduled, undated: lifecycle.undated, retirements: retirements.map(\.description)))
    }
}
