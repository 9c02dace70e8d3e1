import Foundation
import Logging
import StewardEngine
import StewardGit
import StewardSpec
import StewardStore
import StewardYAML

extension Reconciler {
    /// The first pass: every rollout's traffic, published at once and
    /// journalled after, so that no commit, git call or store write of any
    /// rollout stands in front of a rollback's 0%. The routes are published
    /// even when no traffic moves.
    func moveTraffic(_ actions: [Action], desired: (revision: ObjectID, state: DesiredState), at now: Moment) async throws {
        let revision = desired.revision.description
        let traffic = actions.filter(Self.movesTraffic)
        guard !traffic.isEmpty else { return try await publishRoutes(desired) }
        var before: [String: RolloutStatus] = [:]
        for action in traffic {
            let rollout = Self.describe(action).rollout
            if before[rollout] == nil { before[rollout] = statuses[rollout] }
            applyTraffic(action, desired: desired, at: now)
        }
        try await publishRoutes(desired)
        let published = Int(Date().timeIntervalSince(decidedAt) * 1000)
        for action in traffic {
            let (rollout, said) = Self.describe(action)
            if case .setWeights(_, _, let canary, let weight) = action {
                logger.info("traffic", metadata: ["rollout": "\(rollout)", "canary": "\(canary?.description ?? "-")", "weight": "\(weight)",
                                                  "publishedMsAfterDecision": "\(published)"])
            }
            if let event = Self.event(for: action, before: before[rollout], revision: revision) { notifier.post(event) }
            metrics.action(action.kind.rawValue, outcome: "done")
            let journal = store.journal, status = statuses[rollout], why = action.reason
            do {
                let id = try await journal.begin(rollout: rollout, kind: action.kind, action: said, revision: revision, at: clock(),
                                                 fence: try fence(for: rollout, "journalling \(said)"))
                try await journal.finish(id, status: status, why: why)
            } catch {
                shards?.refused(error)
                logger.error("cannot journal a traffic change; the routing table has it", metadata: ["rollout": "\(rollout)", "error": "\(error)"])
            }
        }
    }

    /// The second pass: the rest in order, each journalled before it runs
    /// (promotion and rollback commits), and the round's status transitions,
    /// all of them, in one commit at the end (a first round with a thousand
    /// rollouts makes one). A failure skips the rest of that rollout's
    /// actions (the next round plans them again) but not other rollouts'.
    /// Throws the first failure.
    func commitTheRest(_ actions: [Action], desired: (revision: ObjectID, state: DesiredState), at now: Moment) async throws {
        var failed: Set<String> = [], firstFailure: (any Error)?
        var transitions: [StatusTransition] = []
        for action in actions where !Self.movesTraffic(action) {
            if case .askGate(let question, let gate) = action {
                ask(question, of: gate, revision: desired.revision.description)
                continue
            }
            let (rollout, said) = Self.describe(action)
            guard !failed.contains(rollout) else { continue }
            do {
                if case .writeStatus(_, let status) = action, committed[rollout]?.transition != status.transition {
                    transitions.append(try await journalledTransition(action, rollout: rollout, status: status, said: said, revision: desired.revision.description))
                    continue
                }
                try await journalled(action, rollout: rollout, said: said, desired: desired, at: now)
            } catch {
                failed.insert(rollout)
                firstFailure = firstFailure ?? error
            }
        }
        do {
            try await commitTransitions(transitions, desired: desired)
        } catch {
            firstFailure = firstFailure ?? error
        }
        if let firstFailure { throw firstFailure }
    }

    /// A status transition journalled (begun) and taken as the rollout's
    /// status, waiting for the round's status commit.
    struct StatusTransition {
        var rollout: String
        var status: RolloutStatus
        var entry: Int64
    }

    private func journalledTransition(_ action: Action, rollout: String, status: RolloutStatus, said: String, revision: String) async throws -> StatusTransition {
        let entry = try await store.journal.begin(rollout: rollout, kind: action.kind, action: said, revision: revision, at: clock(),
                                                  fence: try fence(for: rollout, "journalling \(said)"))
        if let event = Self.event(for: action, before: statuses[rollout], revision: revision) { notifier.post(event) }
        statuses[rollout] = status
        return StatusTransition(rollout: rollout, status: status, entry: entry)
    }

    /// Commits the round's status transitions at once and finishes their journal entries.
    private func commitTransitions(_ transitions: [StatusTransition], desired: (revision: ObjectID, state: DesiredState)) async throws {
        guard !transitions.isEmpty else { return }
        let journal = store.journal
        do {
            // What gates said yes with since the last status committed: a prompt evaluation's figures, say.
            let gates = transitions.flatMap { transition in
                transition.status.gateSaid.sorted { $0.key < $1.key }.filter { committed[transition.rollout]?.gateSaid[$0.key] == nil }
                    .map { "\(transition.rollout) \($0.key): \($0.value)" }
            }
            let commit = try await tracer.span("action writeStatus", ["rollouts": "\(transitions.count)"]) {
                try await commitStatuses(transitions.map { ($0.rollout, $0.status) }, gates: gates, desired: desired)?.description
            }
            for transition in transitions {
                committed[transition.rollout] = transition.status
                try await journal.finish(transition.entry, status: transition.status, commit: commit, why: nil)
                metrics.action(Action.Kind.writeStatus.rawValue, outcome: "done")
            }
        } catch {
            for transition in transitions {
                try? await journal.fail(transition.entry, reason: "\(error)")
                metrics.action(Action.Kind.writeStatus.rawValue, outcome: "failed")
            }
            throw error
        }
    }

    /// Runs one action that is not traffic, journalled before it runs.
    private func journalled(_ action: Action, rollout: String, said: String, desired: (revision: ObjectID, state: DesiredState), at now: Moment) async throws {
        let journal = store.journal, revision = desired.revision.description
        let id = try await journal.begin(rollout: rollout, kind: action.kind, action: said, revision: revision, at: clock(),
                                         fence: try fence(for: rollout, "journalling \(said)"))
        let before = statuses[rollout]
        do {
            let commit = try await tracer.span("action \(action.kind.rawValue)", ["rollout": rollout]) {
                try await run(action, desired: desired, at: now)?.description
            }
            if let event = Self.event(for: action, before: before, revision: revision) { notifier.post(event) }
            let status = statuses[rollout]
            try await journal.finish(id, status: status, commit: commit, why: action.reason)
            metrics.action(action.kind.rawValue, outcome: "done")
        } catch {
            try? await journal.fail(id, reason: "\(error)")
            metrics.action(action.kind.rawValue, outcome: "failed")
            throw error
        }
    }

    /// Asks a gate apart from the round; its answer is journalled when it
    /// comes (not each time the engine asks: a waiting gate is asked every
    /// round), and starts a round to judge it.
    private func ask(_ question: GateQuestion, of gate: Gate, revision: String) {
        let journal = store.journal, clock = self.clock, logger = self.logger, metrics = self.metrics
        let rollout = question.rollout, said = Self.describe(.askGate(question: question, gate: gate)).said
        gates.ask(question, of: gate, revision: revision, at: clock()) { [weak self] answer in
            logger.info("a gate answered", metadata: ["rollout": "\(rollout)", "gate": "\(gate.name)", "point": "\(question.point.rawValue)",
                                                      "canary": "\(question.canary)", "yes": "\(answer.yes)", "said": "\(answer.said)"])
            metrics.action(Action.Kind.askGate.rawValue, outcome: answer.yes ? "done" : "failed")
            do {
                let id = try await journal.begin(rollout: rollout, kind: .askGate, action: said, revision: revision, at: clock())
                if answer.yes { try await journal.finish(id, why: answer.said) } else { try await journal.fail(id, reason: answer.said) }
            } catch {
                logger.error("cannot journal a gate's answer", metadata: ["rollout": "\(rollout)", "error": "\(error)"])
            }
            self?.onGateAnswer?()
        }
    }

    static func movesTraffic(_ action: Action) -> Bool {
        switch action {
        case .setWeights, .setSplit: true
        default: false
        }
    }

    /// A traffic action's effect on the rollout's status (the routes are published after).
    private func applyTraffic(_ action: Action, desired: (revision: ObjectID, state: DesiredState), at now: Moment) {
        switch action {
        case .setWeights(let rollout, let stable, let canary, let weight):
            var status = statuses[rollout] ?? .settled(on: stable, at: now)
            status.stable = stable
            if let canary { status.canary = canary }
            status.canaryWeight = weight
            statuses[rollout] = status
        case .setSplit(let rollout, let shares):
            var status = statuses[rollout] ?? .settled(on: desired.state.rollouts[rollout]?.stable ?? shares[0].version, at: now)
            status.split = shares
            status.phase = .progressing
            statuses[rollout] = status
        default:
            break
        }
    }

    /// Runs one action; returns the commit it made, if it made one.
    private func run(_ action: Action, desired: (revision: ObjectID, state: DesiredState), at now: Moment) async throws -> ObjectID? {
        switch action {
        case .setWeights, .setSplit:
            break
        case .writeStatus(let rollout, let status):
            // A transition is committed with the round's others (`commitTransitions`); the rest is journalled only.
            statuses[rollout] = status
        case .promote(let rollout, let version, let previous, let edits):
            return try await commitPromotion(rollout, version: version, previous: previous, edits: edits, desired: desired)
        case .rollback(let rollout, let from, let to, let mode, let reason, let edits):
            return try await commitRollback(rollout, from: from, to: to, mode: mode, reason: reason, edits: edits, desired: desired, at: now)
        case .pause(let rollout, let reason):
            logger.warning("paused", metadata: ["rollout": "\(rollout)", "reason": "\(reason)"])
        case .alert(let rollout, let reason):
            logger.warning("alert", metadata: ["rollout": "\(rollout)", "reason": "\(reason)"])
        case .notify(let rollout, let message):
            logger.info("\(message)", metadata: ["rollout": "\(rollout)"])
        case .askGate:
            break
        }
        return nil
    }

    func publishRoutes(_ desired: (revision: ObjectID, state: DesiredState)) async throws {
        do {
            try await routes.publish(try RoutingTablePublisher.routes(for: statuses, desired: desired.state), revision: desired.revision.description,
                                     fences: fences(of: self.desired?.state ?? desired.state))
        } catch {
            shards?.refused(error)
            throw error
        }
    }

    /// What people hear of an action, if anything: a canary's start and each
    /// step, a pause, a promotion, a rollback, an abort, a warning.
    static func event(for action: Action, before: RolloutStatus?, revision: String) -> AgentEvent? {
        func event(_ kind: AgentEvent.Kind, _ rollout: String, _ text: String) -> AgentEvent {
            AgentEvent(event: kind, rollout: rollout, text: "steward: \(rollout) \(text)", time: Date(), revision: revision)
        }
        switch action {
        case .setWeights(let rollout, let stable, let canary?, let weight) where weight > 0:
            let starting = before?.canary != canary || before?.canaryWeight == 0
            return starting ? event(.started, rollout, "started canary \(canary) at \(weight)% beside \(stable)")
                : event(.stepAdvanced, rollout, "canary \(canary) now at \(weight)%")
        case .pause(let rollout, let reason): return event(.paused, rollout, "paused: \(reason)")
        case .promote(let rollout, let version, let previous, _): return event(.promoted, rollout, "promoted \(version), replacing \(previous)")
        case .rollback(let rollout, let from, let to, _, let reason, _): return event(.rolledBack, rollout, "rolled back \(from) → \(to): \(reason)")
        case .alert(let rollout, let reason): return event(.warning, rollout, "warning: \(reason)")
        case .writeStatus(let rollout, let status) where status.phase == .aborted && before?.phase != .aborted:
            return event(.failed, rollout, "aborted: \(status.pauseReason ?? "by a person")")
        default: return nil
        }
    }

    /// The rollout an action is about, and what it does, for the journal and people.
    static func describe(_ action: Action) -> (rollout: String, said: String) {
        switch action {
        case .setWeights(let r, _, let canary, let w): (r, "setWeights \(canary?.description ?? "-") \(w)%")
        case .setSplit(let r, let shares): (r, "setSplit " + shares.map { "\($0.version) \($0.percent)%" }.joined(separator: ", "))
        case .writeStatus(let r, let s): (r, "writeStatus \(s.phase.rawValue) step \(s.stepIndex + 1)")
        case .promote(let r, let v, _, _): (r, "promote \(v)")
        case .rollback(let r, let from, let to, _, _, _): (r, "rollback \(from) -> \(to)")
        case .pause(let r, _): (r, "pause")
        case .alert(let r, _): (r, "alert")
        case .notify(let r, _): (r, "notify")
        case .askGate(let q, _): (q.rollout, "askGate \(q.gate) \(q.point.rawValue) \(q.canary) step \(q.step)")
        }
    }

    // MARK: - Commits

    var agentIdentity: Signature { config.identity }

    /// Publishes a commit built on the watched branch's tip; `build` returns
    /// nil when the tip already has the change (a retry after a crash, say).
    /// Returns the commit made, nil when none was needed.
    /// `rollouts`: those the commit acts for; a replica makes it only while it still holds their shards.
    @discardableResult
    func publishCommit(_ what: String, rollouts: [String], build: @escaping @Sendable (Repository, ObjectID) throws -> ObjectID?) async throws -> ObjectID? {
        let branch = config.branch
        return try await publishCommit(what, rollouts: rollouts) { repository, remote, change in
            try repository.publish(to: remote, branch: branch) { (tip) throws(GitError) -> ObjectID? in try change { try build(repository, tip) } }
        }
    }

    /// Built once against the tip; again only if the branch moved before the push.
    private func publishCommit(_ what: String, rollouts: [String], push: @escaping @Sendable (Repository, RemoteOptions, Change) throws -> ObjectID?) async throws -> ObjectID? {
        let commit: ObjectID?
        let change = Change(what: what, rollouts: rollouts, shards: shards)
        do {
            commit = try await withGit(what) { repository, remote in try push(repository, remote, change) }
        } catch {
            metrics.gitError("push")
            throw error
        }
        if let commit { logger.info("committed", metadata: ["what": "\(what)", "commit": "\(commit.short)"]) }
        return commit
    }

    /// Builds a commit, any failure of it told as a `GitError` (what `publish` throws).
    private struct Change: Sendable {
        let what: String
        let rollouts: [String]
        let shards: ShardLeases?

        func callAsFunction(_ build: () throws -> ObjectID?) throws(GitError) -> ObjectID? {
            try Reconciler.checkStillHeld(rollouts, by: shards, what)
            do {
                return try build()
            } catch let error as GitError {
                throw error
            } catch {
                throw GitError(operation: what, code: -1, message: "\(error)")
            }
        }
    }

    /// Commits rollouts' status files, in one commit: beside the desired
    /// state, or on the status branch when the config names one (created by
    /// the first status). A file that already holds its transition is left
    /// out; nothing is committed when all do.
    /// `gates`: the gates' yeses they record, one `Steward-Gate` trailer each.
    func commitStatuses(_ list: [(rollout: String, status: RolloutStatus)], gates: [String] = [],
                        desired: (revision: ObjectID, state: DesiredState)) async throws -> ObjectID? {
        let files = try list.map { (rollout: $0.rollout, path: Self.statusPath($0.rollout), transition: $0.status.transition,
                                    bytes: Array(try StatusFile.encode($0.status, rollout: $0.rollout).utf8)) }
        let identity = agentIdentity, observed = desired.revision.description
        let lines = list.map { "\($0.rollout) \($0.status.phase.rawValue) at step \($0.status.stepIndex + 1), canary at \($0.status.canaryWeight)%" }
        let message = CommitMessage(subject: "status: " + (lines.count == 1 ? lines[0] : "\(lines.count) rollouts"),
                                    body: lines.count == 1 ? "" : lines.joined(separator: "\n"),
                                    trailers: [(.action, "status")] + list.map { (.rollout, $0.rollout) } + gates.map { (.gate, $0) }
                                        + [(.observedRevision, observed)] + (try agentTrailers(for: list.map(\.rollout))))
        @Sendable func build(_ repository: Repository, on tip: ObjectID?) throws -> ObjectID? {
            var changes: [String: FileChange] = [:]
            for file in files {
                // The same transition is not committed twice.
                if let tip, let current = try repository.file(file.path, at: tip), Self.transition(from: current, rollout: file.rollout) == file.transition { continue }
                changes[file.path] = .write(file.bytes)
            }
            guard !changes.isEmpty else { return nil }
            return try repository.createCommit(parent: tip, changes: changes, message: message, author: identity, committer: identity)
        }
        let what = list.count == 1 ? "status of \(list[0].rollout)" : "status of \(list.count) rollouts"
        let rollouts = list.map(\.rollout)
        guard let statusBranch = config.statusBranch else { return try await publishCommit(what, rollouts: rollouts, build: build) }
        return try await publishCommit("\(what) on \(statusBranch)", rollouts: rollouts) { repository, remote, change in
            try repository.publishCreatingBranch(to: remote, branch: statusBranch) { (tip) throws(GitError) -> ObjectID? in
                try change { try build(repository, on: tip) }
            }
        }
    }

    static func transition(from bytes: [UInt8], rollout: String) -> RolloutStatus? {
        StatusFile.decode(bytes, file: statusPath(rollout), bag: DiagnosticBag()).map(\.status.transition)
    }

    func commitPromotion(_ rollout: String, version: SemanticVersion, previous: SemanticVersion, edits: [FieldEdit],
                         desired: (revision: ObjectID, state: DesiredState)) async throws -> ObjectID? {
        let identity = agentIdentity, observed = desired.revision.description
        let message = CommitMessage(subject: "Promote \(rollout) to \(version)", body: "Every critical gate passed; \(version) replaces \(previous) as stable.",
                                    trailers: [(.action, "promote"), (.rollout, rollout), (.fromVersion, previous.description),
                                               (.toVersion, version.description), (.observedRevision, observed)] + (try agentTrailers(for: [rollout])))
        let file = desired.state.rollouts[rollout]?.source.file
        return try await publishCommit("promotion of \(rollout)", rollouts: [rollout]) { [weak self] repository, tip in
            guard let self else { return nil }
            // Already promoted on this tip: nothing to do.
            if let current = try self.rollout(rollout, at: tip, in: repository, file: file), current.stable == version { return nil }
            return try repository.createCommit(parent: tip, changes: try Self.changes(edits, at: tip, in: repository),
                                               message: message, author: identity, committer: identity)
        }
    }

    /// The rollout as the tip has it: its own file read alone where the
    /// desired state acted on found it, `file` (a commit parses one file,
    /// not the repository), the whole desired state only if it is no longer there.
    func rollout(_ name: String, at tip: ObjectID, in repository: Repository, file: String?) throws -> Rollout? {
        metrics.parsed(wholeTree: file == nil)
        if let file, let rollout = try Self.rollout(name, in: file, at: tip, of: repository) { return rollout }
        if file != nil { metrics.parsed(wholeTree: true) }
        return try Self.load(tip, in: repository, paths: config.paths).state.rollouts[name]
    }

    /// The rollout as one file holds it at a commit, parsing that file alone.
    static func rollout(_ name: String, in file: String, at commit: ObjectID, of repository: Repository) throws -> Rollout? {
        guard let bytes = try repository.file(file, at: commit) else { return nil }
        return DesiredStateLoader().load([SourceFile(path: file, bytes: bytes)]).state.rollouts[name]
    }

    /// Field edits resolved against the bytes of the tip they are committed on.
    static func changes(_ edits: [FieldEdit], at tip: ObjectID, in repository: Repository) throws -> [String: FileChange] {
        var changes: [String: FileChange] = [:]
        for (file, fileEdits) in Dictionary(grouping: edits, by: \.file) {
            guard let bytes = try repository.file(file, at: tip) else {
                throw GitError(operation: "edit \(file)", code: -1, message: "\(file) is gone at \(tip.short)")
            }
            let editor = try YAMLEditor(source: bytes, file: file)
            changes[file] = .edits(try fileEdits.map { edit -> TextEdit in
                switch edit.change {
                case .set(let value): try editor.replaceScalar(at: edit.path, inDocument: edit.documentIndex, with: value)
                case .remove: try editor.removeEntry(at: edit.path, inDocument: edit.documentIndex)
                case .put(let value): try editor.setEntry(edit.path, to: value, inDocument: edit.documentIndex)
                }
            })
        }
        return changes
    }
}
