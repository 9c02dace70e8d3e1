import ArgumentParser
import Foundation
import StewardEngine
import StewardGit
import StewardSpec

/// `steward audit`: who or what changed each model, when, why, with which evidence.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the timeline of changes to models and rollouts, from git.",
        discussion: """
            Reads the history of --repo, newest first: the agent's commits with \
            their Steward-* trailers (action, versions, reason, evidence), and \
            people's commits that changed the desired state, with what they \
            changed. The same facts are in `git log --format='%(trailers)'`.

            Trailers are claims: they are believed only on commits authored and \
            committed by the agent's identity (--agent-email). On anyone else's \
            commit they are shown as unverified, beside what it really changed.

            With --allowed-signers (ssh-keygen's allowed-signers format, as git's \
            gpg.ssh.allowedSignersFile) or --openpgp-keyring, each commit's \
            signature is checked and the SIGNED column says whose it is; the \
            agent's trailers are then believed only on commits signed by its key, \
            listed for --agent-email.
            """
    )

    @Option(help: "The agent's commit email: only its commits' trailers are trusted.")
    var agentEmail: String = ProcessInfo.processInfo.environment["STEWARD_AGENT_EMAIL"] ?? AuditTrail.defaultAgentEmail

    @Option(help: "Check signatures against this allowed-signers file (one 'principal key-type key' per line).")
    var allowedSigners: String? = ProcessInfo.processInfo.environment["STEWARD_SIGNATURES_ALLOWED_SIGNERS_FILE"]

    @Option(name: .customLong("openpgp-keyring"), help: "Check OpenPGP signatures against these public keys (gpg --export output).")
    var openPGPKeyring: String? = ProcessInfo.processInfo.environment["STEWARD_SIGNATURES_OPENPGP_KEYRING"]

    @Option(help: "The repository (work tree or bare).")
    var repo: String = "."

    @Option(help: "The revision whose history to read.")
    var rev: String = "HEAD"

    @Option(help: "Only this rollout (and its model).")
    var rollout: String?

    @Option(help: "Only commits since this date (YYYY-MM-DD, or ISO 8601).")
    var since: String?

    @Option(help: "table, json or markdown.")
    var format: AuditFormat = .table

    enum AuditFormat: String, ExpressibleByArgument, CaseIterable {
        case table, json, markdown
    }

    func run() throws {
        var sinceDate: Date?
        if let since {
            guard let parsed = Self.parseDate(since) else {
                printError("steward: error: --since: '\(since)' is not a date; write YYYY-MM-DD or an ISO 8601 time")
                throw ExitCode(2)
            }
            sinceDate = parsed
        }
        let rows: [AuditRow]
        do {
            let repository = try Repository.open(repo)
            let tip = try repository.resolveCommit(rev)
            // A shallow clone has lost the history an audit is about: say so rather than show part of it as if whole.
            guard repository.shallowBoundary.isEmpty else {
                printError("steward: error: \(repo) is a shallow clone: its history from \(rev) stops after \(repository.firstParentDepth(from: tip)) "
                           + "commits; run `git fetch --unshallow` (or clone with `fetch-depth: 0` in CI) and audit again")
                throw ExitCode(1)
            }
            for (option, file) in [("--allowed-signers", allowedSigners), ("--openpgp-keyring", openPGPKeyring)] {
                if let file, !FileManager.default.isReadableFile(atPath: file) {
                    printError("steward: error: \(option): cannot read \(file)")
                    throw ExitCode(2)
                }
            }
            let verifier = SignatureVerifier.trusting(allowedSignersFile: allowedSigners, openPGPKeyring: openPGPKeyring)
            rows = try AuditTrail(repository: repository, agentEmail: agentEmail, verifier: verifier).rows(from: tip, since: sinceDate, rollout: rollout)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("steward: error: \(error)")
            throw ExitCode(1)
        }
        print(AuditReport(rows: rows).render(format), terminator: "")
    }

    static func parseDate(_ text: String) -> Date? {
        if let full = ISO8601DateFormatter().date(from: text) { return full }
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = TimeZone(identifier: "UTC")
        day.dateFormat = "yyyy-MM-dd"
        return day.date(from: text)
    }
}

/// One line of the audit timeline.
struct AuditRow: Encodable, Equatable {
    var commit: String
    var date: String
    /// `agent` or `person`.
    var kind: String
    var who: String
    var action: String
    var subjects: [String]
    var from: String?
    var to: String?
    var reason: String?
    var changes: [String]
    var summary: String
    /// Steward trailers on a commit that is not the agent's: claims, not facts.
    var unverifiedTrailers: [String] = []
    /// Whether the commit's signature verified, and whose it is.
    var signature: SignatureCheck
}

/// Builds the timeline from history.
struct AuditTrail {
    /// The identity the agent commits with unless configured otherwise.
    static let defaultAgentEmail = "steward@localhost"

    let repository: Repository
    /// Only commits both authored and committed with this email are the agent's.
    let agentEmail: String
    /// Checks signatures; with it, only commits the agent's key signed are the agent's.
    var verifier: SignatureVerifier?

    func rows(from tip: ObjectID, since: Date?, rollout: String?) throws(GitError) -> [AuditRow] {
        var rows: [AuditRow] = []
        var walk = HistoryWalk(repository: repository)
        for record in try repository.log(from: tip, since: since) {
            if let row = try row(record, rollout: rollout, walk: &walk) { rows.append(row) }
        }
        return rows
    }

    /// What the commit's signature says; without a verifier, only whether there is one.
    private func signature(of commit: ObjectID) -> SignatureCheck {
        let signed: SignedContent?
        do {
            signed = try repository.signedContent(of: commit)
        } catch {
            return .unverified(reason: error.description)
        }
        guard let verifier else { return signed == nil ? .unsigned : .unchecked }
        return verifier.check(signed)
    }

    private func row(_ record: CommitRecord, rollout: String?, walk: inout HistoryWalk) throws(GitError) -> AuditRow? {
        let date = ISO8601DateFormatter().string(from: record.date)
        // Checked at most once per commit (a check runs the verifier's programs), and only for a commit that is shown.
        lazy var signature = self.signature(of: record.id)
        var isAgent = record.authorEmail == agentEmail && record.committerEmail == agentEmail
        if isAgent, verifier != nil { isAgent = signature.principal == agentEmail }
        let isAgentAction = isAgent && record.trailer(.action) != nil
        let touchesYAML = record.changedPaths.contains(where: Repository.holdsDesiredState)
        // Every commit moves the walk to its parent (cheaply, by the files it changed); only a person's YAML change is compared.
        let states = try walk.step(over: record, compare: touchesYAML && !isAgentAction)
        if isAgent, let action = record.trailer(.action) {
            let name = record.trailer(.rollout)
            // A lifecycle sweep names model versions (`MODEL VERSION from→to (rule)`), a gate's yes its rollout first.
            let lifecycle = record.trailers.filter { $0.key == Trailer.lifecycle.rawValue }.map(\.value)
            let gates = record.trailers.filter { $0.key == Trailer.gate.rawValue }.map { "gate: " + $0.value }
            let models = lifecycle.compactMap { $0.split(separator: " ").count > 1 ? "Model " + $0.split(separator: " ").prefix(2).joined(separator: " ") : nil }
            if let rollout, name != rollout, !lifecycle.contains(where: { $0.hasPrefix(rollout + " ") }) { return nil }
            return AuditRow(
                commit: record.id.short, date: date, kind: "agent",
                who: record.trailer(.actor) ?? "\(record.authorName) <\(record.authorEmail)>", action: action,
                subjects: name.map { ["Rollout \($0)"] } ?? models, from: record.trailer(.fromVersion), to: record.trailer(.toVersion),
                reason: record.trailer(.reason), changes: lifecycle + gates, summary: record.subject, signature: signature)
        }
        // A person's commit that carries Steward trailers is shown, with them marked as claims.
        // A manual control's trailers describe the person's own commit: not a claim to be the agent.
        let isControl = record.trailer(.action).map { action in ManualControl.allCases.contains { $0.action == action } || action == "unstop" } ?? false
        let claims = isControl ? [] : record.trailers.filter { $0.key.hasPrefix("Steward-") }.map { "\($0.key): \($0.value)" }
        guard touchesYAML || !claims.isEmpty else { return nil }
        let changes = states.map { ChangePlanner.compare(base: $0.base, head: $0.head) } ?? []
        let subjects = Array(Set(changes.map(\.subject))).sorted()
        let claimed = record.trailer(.rollout)
        if let rollout, !subjects.contains("Rollout \(rollout)"), !subjects.contains(where: { $0.hasPrefix("Model \(rollout) ") }),
           claimed != rollout {
            return nil
        }
        guard !changes.isEmpty || !claims.isEmpty else { return nil }
        return AuditRow(
            commit: record.id.short, date: date, kind: "person",
            who: "\(record.authorName) <\(record.authorEmail)>", action: isControl ? record.trailer(.action)! : "edit", subjects: subjects,
            from: nil, to: nil, reason: nil, changes: changes.map { "\($0.subject): \($0.summary)" }, summary: record.subject,
            unverifiedTrailers: claims, signature: signature)
    }

}

/// The desired state at one commit at a time, walking history newest first:
/// from a commit to its parent only the files the commit changed are read
/// again, so memory stays that of one state however long the history.
struct HistoryWalk {
    let repository: Repository
    private var files = FileByFileState()
    /// The commit `files` stands at, if any.
    private var at: ObjectID?

    init(repository: Repository) {
        self.repository = repository
    }

    /// Moves to the record's first parent. With `compare`, returns the
    /// states at the parent (empty for a root commit) and at the record.
    mutating func step(over record: CommitRecord, compare: Bool) throws(GitError) -> (base: DesiredState, head: DesiredState)? {
        if at != record.id {
            // Not where the walk stands (the first commit, or after a merge's other side): read the whole tree, if needed at all.
            guard compare else { return nil }
            files = FileByFileState()
            files.update(try repository.yamlFiles(at: record.id).map { ($0.path, Optional($0.bytes)) })
            at = record.id
        }
        let head = compare ? files.state : nil
        guard let parent = record.parents.first else {
            at = nil
            return head.map { (DesiredState(), $0) }
        }
        var changed: [(path: String, bytes: [UInt8]?)] = []
        for path in record.changedPaths where Repository.holdsDesiredState(path) { changed.append((path, try repository.file(path, at: parent))) }
        files.update(changed)
        at = parent
        return head.map { (files.state, $0) }
    }
}

/// The audit timeline for a terminal, a program or a pull-request comment.
struct AuditReport {
    let rows: [AuditRow]

    func render(_ format: Audit.AuditFormat) -> String {
        switch format {
        case .table: table()
        case .json: json()
        case .markdown: markdown()
        }
    }

    private func what(_ row: AuditRow) -> String {
        if row.kind == "agent" {
            var text = "\(row.action) \(row.subjects.joined(separator: ", "))"
            if let from = row.from, let to = row.to { text += " \(from) → \(to)" } else if let to = row.to { text += " → \(to)" }
            if let reason = row.reason { text += ": \(reason)" }
            if !row.changes.isEmpty { text += (row.reason == nil ? ": " : "; ") + row.changes.joined(separator: "; ") }
            return text
        }
        let changed = row.changes.isEmpty ? "no change to the desired state" : row.changes.joined(separator: "; ")
        guard !row.unverifiedTrailers.isEmpty else { return changed }
        return changed + " [unverified trailers, not the agent's commit: \(row.unverifiedTrailers.joined(separator: ", "))]"
    }

    /// The signature in a word or two: the signer, `-` for none, `NOT VERIFIED` (the reason is in JSON), `unchecked`.
    private func signed(_ row: AuditRow) -> String {
        switch row.signature {
        case .verified(let principal): terminalSafe(principal)
        case .unsigned: "-"
        case .unverified: "NOT VERIFIED"
        case .unchecked: "unchecked"
        }
    }

    /// The widest a table column gets: one long author name must not pad every row.
    static let widestColumn = 60

    /// A cell cut to `widestColumn`, with an ellipsis where it was cut.
    static func fitted(_ text: String) -> String {
        text.count <= widestColumn ? text : String(text.prefix(widestColumn - 1)) + "…"
    }

    func table() -> String {
        guard !rows.isEmpty else { return "no changes to models or rollouts\n" }
        let who = rows.map { Self.fitted(terminalSafe($0.who)) }, signatures = rows.map { Self.fitted(signed($0)) }
        let columns = [("COMMIT", rows.map(\.commit)), ("DATE", rows.map(\.date)), ("WHO", who), ("SIGNED", signatures)]
        let widths = columns.map { name, values in max(name.count, values.map(\.count).max() ?? 0) }
        func line(_ cells: [String], _ last: String) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + last + "\n"
        }
        return line(columns.map(\.0), "WHAT") + rows.indices.map { i in
            line([rows[i].commit, rows[i].date, who[i], signatures[i]], terminalSafe(what(rows[i])))
        }.joined()
    }

    func json() -> String {
        prettyJSON(rows)
    }

    func markdown() -> String {
        var out = "| Commit | Date | Who | Signed | What |\n|---|---|---|---|---|\n"
        for row in rows {
            out += "| `\(row.commit)` | \(row.date) | \(markdownCell(row.who)) | \(markdownCell(signed(row))) | \(markdownCell(what(row))) |\n"
        }
        return out
    }
}
