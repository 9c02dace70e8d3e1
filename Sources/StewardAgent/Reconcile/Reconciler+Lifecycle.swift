import Logging
import StewardEngine
import StewardGit
import StewardSpec

extension Reconciler {
    /// Shows the retirement warnings (`/v1/status`) and commits the
    /// lifecycle transitions the policies have made due (see
    /// ``LifecycleSweep``), all in one commit with a `Steward-Lifecycle`
    /// trailer naming the rule for each version. Looked at once a day for
    /// each desired revision: the rules count days, and a new revision may
    /// make something due (a version added beyond `maxVersions`).
    func sweepLifecycle(_ desired: (revision: ObjectID, state: DesiredState), at now: Moment) async {
        let day = String(now.utcText.prefix(10))
        if let last = lastLifecycleSweep, last.revision == desired.revision, last.day == day { return }
        let due = LifecycleSweep.due(desired.state, statuses: statuses, now: now)
        // Looked at once a day for this revision whatever happens: a sweep that cannot be committed (a layout the
        // editor refuses, git away) is said, and stops nothing else the round does.
        lastLifecycleSweep = (desired.revision, day)
        // Retirement warnings count days too: worked out here, not every round.
        let retirements = UpgradePlanner.retirements(desired.state, now: now).map(\.description)
        snapshot.update { $0.retirements = retirements }
        guard !due.isEmpty else { return }
        do {
            try await commitLifecycle(due, desired: desired, at: now)
        } catch {
            logger.error("the lifecycle sweep could not be committed; it is tried again tomorrow or on the next revision",
                         metadata: ["error": "\(error)", "versions": "\(due.map(\.trailer).joined(separator: "; "))"])
        }
    }

    private func commitLifecycle(_ due: [LifecycleTransition], desired: (revision: ObjectID, state: DesiredState), at now: Moment) async throws {
        let edits = LifecycleSweep.edits(due, desired: desired.state, now: now)
        // The files planned on: the edited ones, and the rollouts that could name a version meanwhile.
        let models = Set(due.map(\.model))
        let files = Set(edits.map(\.file)).union(desired.state.rollouts.values.filter { models.contains($0.model) }.map(\.source.file))
        let base = desired.revision
        let lines = due.map { "\($0.model) \($0.version): \($0.from.rawValue) → \($0.toText) (\($0.rule))" }
        let message = CommitMessage(
            subject: due.count == 1 ? "Lifecycle: \(due[0].model) \(due[0].version) \(due[0].toText)" : "Lifecycle: \(due.count) versions retired",
            body: "The policy's retention and deprecation rules:\n" + lines.joined(separator: "\n"),
            trailers: [(.action, "lifecycle")] + due.map { (.lifecycle, $0.trailer) } + [(.observedRevision, base.description)] + (try agentTrailers(for: [])))
        let identity = agentIdentity
        try await publishCommit("lifecycle sweep", rollouts: []) { repository, tip in
            // Planned on the files as `base` has them: if the tip changed them (this very sweep landed before a
            // crash, or a person edited the registry), the next round plans again on the tip.
            for file in files where try repository.file(file, at: tip) != repository.file(file, at: base) { return nil }
            return try repository.createCommit(parent: tip, changes: try Self.changes(edits, at: tip, in: repository),
                                               message: message, author: identity, committer: identity)
        }
    }
}
