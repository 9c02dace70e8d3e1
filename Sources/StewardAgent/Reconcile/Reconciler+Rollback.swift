import Foundation
import StewardEngine
import StewardGit
import StewardSpec
import StewardStore
import StewardYAML

extension Reconciler {
    /// Traffic is already at 0% (the routes went out first). Commits `git
    /// revert` of the commit that set the canary when that commit changed
    /// nothing but this rollout and its model, and reverts cleanly;
    /// otherwise the minimal edit that clears the canary, saying why.
    func commitRollback(_ rollout: String, from: SemanticVersion, to: SemanticVersion, mode: RollbackMode, reason: String,
                        edits: [FieldEdit], desired: (revision: ObjectID, state: DesiredState), at now: Moment) async throws -> ObjectID? {
        let exposed = try await exposedRequests(rollout, version: from, desired: desired.state, at: now)
        let identity = agentIdentity, observed = desired.revision.description
        let trailers: [(Trailer, String)] = [(.action, "rollback"), (.rollout, rollout), (.fromVersion, from.description),
                                             (.toVersion, to.description), (.reason, reason), (.observedRevision, observed),
                                             (.exposedRequests, "\(exposed)")] + (try agentTrailers(for: [rollout]))
        let files = RolloutFiles(rollout, in: desired.state)
        let model = desired.state.rollouts[rollout]?.model ?? rollout
        let at = ISOTime.string(Date(timeIntervalSince1970: now.secondsSinceEpoch))
        @Sendable func marking(_ commit: ObjectID?) -> RollbackMarkEdit {
            RollbackMarkEdit(model: model, version: from, rollout: rollout, mark: RollbackMark(at: at, reason: reason, commit: commit?.description))
        }
        let marked = [files.model, files.rollout].compactMap(\.self)
        return try await publishCommit("rollback of \(rollout)", rollouts: [rollout]) { [weak self] repository, tip in
            guard let self, let current = try self.rollout(rollout, at: tip, in: repository, file: files.rollout), current.canary == from else { return nil }
            var why = "abort mode: the canary is cleared by an edit"
            if mode == .revert {
                switch try self.introducingCommit(of: from, rollout: rollout, files: files, from: tip, in: repository) {
                case .found(let commit):
                    do {
                        return try repository.createRevert(of: commit, onto: tip, body: "Rolled back by Steward: \(reason).",
                                                           trailers: trailers, author: identity, committer: identity) { (read) throws(GitError) in
                            do {
                                return try marking(commit).files(marked) { path in try read(path) }
                            } catch {
                                throw GitError(operation: "mark \(from) rolled back", code: -1, message: "\(error)")
                            }
                        }
                    } catch {
                        why = "the revert of \(commit.short) does not apply cleanly (\((error as? GitError)?.message ?? "\(error)")); the canary is cleared by an edit"
                    }
                case .notRevertible(let reason):
                    why = reason + "; the canary is cleared by an edit"
                }
            }
            let message = CommitMessage(subject: "Roll back \(rollout): \(from) -> \(to)", body: "Rolled back by Steward: \(reason).\n\n\(why).",
                                        trailers: trailers)
            var edited: [String: [UInt8]] = [:]
            for (file, change) in try Self.changes(Edits.clearCanary(current), at: tip, in: repository) {
                guard case .edits(let edits) = change, let bytes = try repository.file(file, at: tip) else { continue }
                edited[file] = try TextEdit.apply(edits, to: bytes)
            }
            let withMark = try marking(nil).files(marked) { path in try edited[path] ?? repository.file(path, at: tip) }
            let changes = edited.merging(withMark) { _, marked in marked }.mapValues { FileChange.write($0) }
            return try repository.createCommit(parent: tip, changes: changes, message: message, author: identity, committer: identity)
        }
    }

    enum Introduction {
        case found(ObjectID)
        case notRevertible(String)
    }

    /// The newest commit whose rollout sets `canary` while its parent's did not,
    /// read one file at a time. `files` are as the desired state acted on
    /// has them; the tip's whole state is loaded only when the rollout's is unknown.
    func introducingCommit(of canary: SemanticVersion, rollout name: String, files known: RolloutFiles,
                           from tip: ObjectID, in repository: Repository) throws -> Introduction {
        if known.rollout == nil { metrics.parsed(wholeTree: true) }
        let files = known.rollout != nil ? known : RolloutFiles(name, in: try Self.load(tip, in: repository, paths: config.paths).state)
        guard let file = files.rollout else { return .notRevertible("the rollout is gone") }
        let allowed = Set([file] + (files.model.map { [$0] } ?? []))
        func canaryOf(_ commit: ObjectID) throws -> SemanticVersion? {
            try Self.rollout(name, in: file, at: commit, of: repository)?.canary
        }
        for record in try repository.log(from: tip, paths: [file], limit: 200) {
            guard try canaryOf(record.id) == canary else { continue }
            guard try record.parents.first.flatMap(canaryOf) != canary else { continue }
            guard !record.parents.isEmpty else { return .notRevertible("the canary was set by the root commit \(record.id.short), which is never reverted") }
            let others = record.changedPaths.filter { !allowed.contains($0) }
            guard others.isEmpty else {
                return .notRevertible("the commit that set the canary, \(record.id.short), also changed \(others.prefix(3).joined(separator: ", ")), which a revert would undo")
            }
            return .found(record.id)
        }
        return .notRevertible("no commit in the last 200 of \(file) sets the canary")
    }

    /// Requests the canary served since its exposure began, for the commit's evidence.
    func exposedRequests(_ rollout: String, version: SemanticVersion, desired: DesiredState, at now: Moment) async throws -> Int {
        guard let model = desired.rollouts[rollout]?.model, let start = statuses[rollout]?.exposure.first?.at else { return 0 }
        let outcomes = store.outcomes
        let tally = try await outcomes.tally(model: model, version: version.description, from: start.secondsSinceEpoch, to: now.secondsSinceEpoch + 1)
        return Int(tally.requests)
    }
}

/// The files that hold a rollout and its model in a desired state: all a
/// revert of the commit that set the canary may touch.
struct RolloutFiles {
    var rollout: String?
    var model: String?

    init(_ name: String, in state: DesiredState) {
        rollout = state.rollouts[name]?.source.file
        model = state.rollouts[name].flatMap { state.models[$0.model]?.source.file }
    }
}
