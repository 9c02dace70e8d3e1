import ArgumentParser
import Foundation
import StewardEngine
import StewardGit
import StewardSpec
import StewardYAML

/// `steward upgrades`: looks at the model sources and proposes each
/// upgrade as a branch (and a pull request).
struct UpgradesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrades",
        abstract: "Propose new base models as branches and pull requests; warn of retirements.",
        discussion: """
            Reads the desired state at --base, asks each Policy's upgrade sources \
            for their base models (an OpenAI-compatible GET /v1/models, or a \
            catalog written in the policy), and for every Model with `upgrades` \
            picks the candidate its rule names. Prints what it would propose, \
            the versions whose base model retires soon, and every source it \
            could not read.

            With --push, each proposal becomes a branch \
            steward/upgrade/MODEL-VERSION: the new version (a MINOR bump of \
            the stable, on the new base model, status candidate) and the \
            rollout's canary set to it, in one commit with trailers naming the \
            source and the rule; never the watched branch. Run again, an \
            unchanged proposal changes nothing, a newer one moves the same \
            branch forward. With --github-repo, a pull request is opened for \
            the branch (or its body updated), its body the plan; a closed one \
            is not reopened.

            Exit status: 0 done (proposals or not), 1 the desired state or git \
            failed, 3 a source could not be read (the rest still ran).
            """
    )

    @Option(help: "The git repository (a clone of the watched branch).")
    var repo: String = "."

    @Option(help: "The revision proposals build on, e.g. origin/main.")
    var base: String = "HEAD"

    @Option(name: .customLong("include"), help: ArgumentHelp("Read only these paths (repeatable).", valueName: "subpath"))
    var includes: [String] = []

    @Option(help: "The branch pull requests merge into.")
    var branch: String = "main"

    @Flag(help: "Check once and exit (the default); without it, check again every `checkEvery` of the policy.")
    var once = false

    @Flag(help: "Push each proposal's branch.")
    var push = false

    @Option(help: "Where to push: a URL, or the name of a remote of --repo.")
    var remote: String = "origin"

    @Option(name: .customLong("git-token-file"), help: "For an https:// remote: a file holding the token to push with.")
    var gitTokenFile: String?

    @Option(name: .customLong("git-user"), help: "The user name sent with --git-token-file.")
    var gitUser: String = "x-access-token"

    @Option(name: .customLong("ssh-key"), help: "For an ssh:// remote: the private key file (host keys from --known-hosts).")
    var sshKey: String?

    @Option(name: .customLong("known-hosts"), help: "The known_hosts file an ssh:// remote's key must be in.")
    var knownHosts: String?

    @Option(help: "The author of proposal commits, as \"Name <email>\".")
    var author: String = "Steward <steward@localhost>"

    @Option(name: .customLong("github-repo"), help: "OWNER/NAME: open a pull request per proposal on GitHub.")
    var githubRepository: String?

    @Option(name: .customLong("github-token-file"), help: "A file holding the GitHub token.")
    var githubTokenFile: String?

    @Option(name: .customLong("github-api"), help: "The GitHub API's address.")
    var githubAPI: String = "https://api.github.com"

    func run() throws {
        var failed = false
        repeat {
            let result = try checkOnce()
            failed = failed || !result.problems.isEmpty
            guard !once, let every = result.every else { break }
            Thread.sleep(forTimeInterval: every)
        } while true
        if failed { throw ExitCode(3) }
    }

    private var paths: [String] { includes.isEmpty ? ["."] : includes }

    /// One look at the sources, and the proposals pushed when asked.
    private func checkOnce() throws -> (problems: [String], every: TimeInterval?) {
        let repository: Repository, baseCommit: ObjectID, desired: DesiredState
        do {
            repository = try Repository.open(repo)
            baseCommit = try repository.resolveCommit(base)
            let loaded = DesiredStateLoader().load(try repository.yamlFiles(at: baseCommit, under: paths).map { SourceFile(path: $0.path, bytes: $0.bytes) })
            guard loaded.isValid else {
                for problem in loaded.diagnostics where problem.severity == .error { printError("\(problem)") }
                throw ExitCode(1)
            }
            desired = loaded.state
        } catch let error as GitError {
            printError("steward: error: \(error)")
            throw ExitCode(1)
        }
        let now = Moment(secondsSinceEpoch: Date().timeIntervalSince1970)
        let check = UpgradePlanner.check(desired, listings: ModelList.read(desired), now: now)
        for problem in check.problems { print("cannot read: \(problem)") }
        for warning in UpgradePlanner.retirements(desired, now: now) { print("warning: \(warning)") }
        for quiet in check.quiet { print("no proposal: \(quiet)") }
        for proposal in check.proposals {
            print("proposal: \(proposal.model) \(proposal.version) on \(proposal.baseModel) (was \(proposal.previousBaseModel); "
                  + "\(proposal.rule); source \(proposal.source)) → branch \(proposal.branch)")
            do {
                try propose(proposal, desired: desired, at: baseCommit, in: repository, now: now)
            } catch {
                printError("steward: error: \(proposal.branch): \(error)")
                throw ExitCode(1)
            }
        }
        let every = desired.policies.values.compactMap { $0.upgrades?.checkEvery.seconds }.min()
        return (check.problems, every)
    }

    private func propose(_ proposal: UpgradeProposal, desired: DesiredState, at base: ObjectID, in repository: Repository, now: Moment) throws {
        let today = UTCDate(secondsSinceEpoch: now.secondsSinceEpoch)
        let files = try proposal.files(desired, today: today) { try repository.file($0, at: base) }
        let proposed = DesiredStateLoader().load(try repository.yamlFiles(at: base, under: paths).map { file in
            SourceFile(path: file.path, bytes: files[file.path] ?? file.bytes)
        })
        let problems = proposed.diagnostics.filter { $0.severity == .error }.map(\.description)
        for problem in problems { print("  needs a person: \(problem)") }
        let changes = ChangePlanner.compare(base: desired, head: proposed.state)
        let body = Self.body(proposal, problems: problems,
                             plan: PlanReport(base: branch, commit: base.short, changes: changes, lifecycle: .init(), now: now).markdown())
        guard push else { return }
        let url = repository.remoteURL(named: remote) ?? remote
        let options = RemoteOptions(url: url, credentials: credentials(for: url))
        let previous = try repository.fetchIfPresent(options, branch: proposal.branch)?.tip
        if let previous, try files.allSatisfy({ try repository.file($0.key, at: previous) == $0.value }) {
            print("  \(proposal.branch) already holds it")
        } else {
            let signature = try Self.signature(author)
            let message = CommitMessage(
                subject: "Propose \(proposal.model) \(proposal.version) on \(proposal.baseModel)",
                body: "\(proposal.baseModel) replaces \(proposal.previousBaseModel): \(proposal.rule), from source \(proposal.source)."
                    + (proposal.rollout.map { "\nRollout \($0) gets \(proposal.version) as its canary, with its usual steps." } ?? ""),
                trailers: [(.action, "propose-upgrade"), (.model, proposal.model), (.fromVersion, proposal.parent.description),
                           (.toVersion, proposal.version.description), (.baseModel, proposal.baseModel), (.source, proposal.source),
                           (.rule, proposal.rule), (.actor, "steward upgrades")])
            // On the base, and a merge of the branch's old tip when it had one: the branch moves forward, never forced.
            let commit = try repository.createCommit(parent: base, changes: files.mapValues(FileChange.write), message: message,
                                                     author: signature, committer: signature, alsoParent: previous)
            try repository.push(commit, to: options, branch: proposal.branch, expected: previous)
            print("  pushed \(commit.short) to \(proposal.branch)")
        }
        if let githubRepository {
            try GitHubPullRequests(api: githubAPI, repository: githubRepository, tokenFile: githubTokenFile)
                .ensure(head: proposal.branch, base: branch, title: "Upgrade \(proposal.model) to \(proposal.baseModel) (\(proposal.version))", body: body)
        }
    }

    /// What --git-token-file or --ssh-key say, for the remote's kind of URL.
    private func credentials(for url: String) -> Credentials {
        if let gitTokenFile, url.hasPrefix("https://") { return .token(user: gitUser, tokenFile: gitTokenFile) }
        if let sshKey {
            let user = url.split(separator: "@").first.map { String($0.split(separator: "/").last ?? "git") } ?? "git"
            return .sshKey(user: user, privateKey: sshKey, publicKey: nil, passphraseFile: nil, knownHosts: knownHosts)
        }
        return .none
    }

    /// The pull request's body: what is proposed and why, what a person must still do, and the plan.
    static func body(_ proposal: UpgradeProposal, problems: [String], plan: String) -> String {
        var text = "**\(proposal.model) \(proposal.version)** on `\(proposal.baseModel)` (was `\(proposal.previousBaseModel)`): "
            + "\(proposal.rule), from source `\(proposal.source)`. Proposed by `steward upgrades`; merging it starts the canary.\n\n"
        if !problems.isEmpty {
            text += "Before it can merge, `steward validate` finds:\n\n" + problems.map { "- `\($0)`\n" }.joined() + "\n"
        }
        return text + plan
    }

    static func signature(_ text: String) throws -> Signature {
        guard let open = text.firstIndex(of: "<"), text.hasSuffix(">") else {
            printError("steward: error: --author must be \"Name <email>\", not '\(text)'")
            throw ExitCode(2)
        }
        return Signature(name: text[..<open].trimmingCharacters(in: .whitespaces), email: String(text[text.index(after: open)..<text.index(before: text.endIndex)]))
    }
}
