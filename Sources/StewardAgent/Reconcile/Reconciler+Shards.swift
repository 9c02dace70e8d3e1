import Foundation
import Logging
import StewardEngine
import StewardGit
import StewardSpec
import StewardStore

/// Several replicas over one store: each acts on the rollouts of the shards
/// it holds, under their terms, and every action shows its fence.
extension Reconciler {
    /// The desired state this replica acts on now: every rollout for one
    /// agent; for a replica, the rollouts of the shards it holds, each taken
    /// shard only once a fetch begun after the takeover has been read. A
    /// rollout under a new term is resumed from the journal and the status
    /// files in git; one no longer held is forgotten.
    func actingOn(_ desired: (revision: ObjectID, state: DesiredState)) async throws -> (revision: ObjectID, state: DesiredState) {
        guard let shards else { return desired }
        let terms = shards.acting
        for (shard, term) in terms where takenAt[shard]?.term != term {
            takenAt[shard] = (term, Date())
            onNeedsFetch?()
        }
        for shard in takenAt.keys where terms[shard] == nil { takenAt[shard] = nil }
        var state = desired.state
        state.rollouts = state.rollouts.filter { name, _ in
            let shard = Shards.shard(of: name)
            guard let taken = takenAt[shard], terms[shard] != nil else { return false }
            return lastFetchBegan > taken.at
        }
        for name in Set(statuses.keys).union(actingTerms.keys) where state.rollouts[name] == nil {
            statuses[name] = nil
            committed[name] = nil
            actingTerms[name] = nil
        }
        let fresh = state.rollouts.keys.filter { actingTerms[$0] != terms[Shards.shard(of: $0)] }
        if !fresh.isEmpty {
            for name in fresh {
                statuses[name] = nil
                committed[name] = nil
                actingTerms[name] = terms[Shards.shard(of: name)]
            }
            try await resumeStatuses(at: desired.revision, desired: state)
            logger.info("acting on rollouts of shards taken", metadata: ["rollouts": "\(fresh.sorted())"])
        }
        return (desired.revision, state)
    }

    /// The fence an action on `rollout` carries: none for one agent; for a
    /// replica, its shard's lease, or ``LeaseLapsed`` when it no longer holds it.
    func fence(for rollout: String, _ what: @autoclosure () -> String) throws -> Fence? {
        guard let shards else { return nil }
        guard let fence = shards.fence(for: rollout) else { throw LeaseLapsed(rollout: rollout, what: what()) }
        return fence
    }

    /// The fences of the models of these rollouts, by model (see `RoutesPublisher.publish`).
    func fences(of state: DesiredState) -> [String: Fence] {
        guard let shards else { return [:] }
        var fences: [String: Fence] = [:]
        for (name, rollout) in state.rollouts { fences[rollout.model] = shards.fence(for: name) }
        return fences
    }

    /// The trailers that say who made an agent commit: the agent; with
    /// several replicas, which one and the term of each shard acted in.
    func agentTrailers(for rollouts: [String]) throws -> [(Trailer, String)] {
        guard let shards else { return [(.actor, "agent")] }
        let fences = Set(try rollouts.compactMap { try fence(for: $0, "committing") }).sorted { $0.shard < $1.shard }
        return [(.actor, "agent"), (.replica, shards.replica)] + fences.map { (.term, "\($0.term) shard \($0.shard)") }
    }

    /// Throws unless this replica still holds every one of these rollouts'
    /// shards: checked just before a push, as the lease may run out while
    /// git works (the store's term and git's compare-and-swap fence the rest).
    static func checkStillHeld(_ rollouts: [String], by shards: ShardLeases?, _ what: String) throws(GitError) {
        guard let shards else { return }
        for rollout in rollouts where shards.fence(for: rollout) == nil {
            throw GitError(operation: what, code: -1, message: LeaseLapsed(rollout: rollout, what: what).description)
        }
    }
}

/// An action not taken because this replica's lease on the rollout's shard
/// ran out (it could not renew in time, or was paused): another replica
/// takes the shard and acts instead.
struct LeaseLapsed: Error, CustomStringConvertible {
    var rollout: String
    var what: String
    var description: String { "not \(what) for \(rollout): this replica's lease on shard \(Shards.shard(of: rollout)) ran out" }
}
