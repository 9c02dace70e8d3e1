import Foundation

extension Repository {
    /// Publishes a change to the remote's `branch`, never forcing: one
    /// fetch, one build and one push when the branch holds still.
    ///
    /// `change` builds the commit on top of the tip it is given (re-running
    /// the edits, or reverting again), or returns nil when that tip already
    /// holds the change: then nothing is pushed and nil is returned. When
    /// the push is refused because the branch moved, Steward fetches, builds
    /// the change again from the new tip's bytes and retries, waiting a
    /// little longer each time, up to `attempts` times. A change that no
    /// longer applies (a field gone, a conflicting revert) is thrown as its
    /// own error; nothing is overwritten.
    @discardableResult
    public func publish(to remote: RemoteOptions, branch: String, attempts: Int = 8, backoff: TimeInterval = 0.02,
                        change: (ObjectID) throws(GitError) -> ObjectID?) throws(GitError) -> ObjectID? {
        try publish(to: remote, branch: branch, creating: false, attempts: attempts, backoff: backoff) { (tip) throws(GitError) -> ObjectID? in
            guard let tip else { throw GitError(operation: "publish to \(branch)", code: -1, message: "the remote has no branch \(branch)") }
            return try change(tip)
        }
    }

    /// The same on a branch the first change may create: `change` is given
    /// nil while the remote has no such branch, and its commit (a root) then
    /// creates it. For a branch the agent owns alone (the status branch).
    @discardableResult
    public func publishCreatingBranch(to remote: RemoteOptions, branch: String, attempts: Int = 8, backoff: TimeInterval = 0.02,
                                      change: (ObjectID?) throws(GitError) -> ObjectID?) throws(GitError) -> ObjectID? {
        try publish(to: remote, branch: branch, creating: true, attempts: attempts, backoff: backoff, change: change)
    }

    private func publish(to remote: RemoteOptions, branch: String, creating: Bool, attempts: Int, backoff: TimeInterval,
                         change: (ObjectID?) throws(GitError) -> ObjectID?) throws(GitError) -> ObjectID? {
        var lastRefusal: GitError?
        for attempt in 0..<max(1, attempts) {
            let tip = creating ? try fetchIfPresent(remote, branch: branch)?.tip : try fetch(remote, branch: branch).tip
            guard let commit = try change(tip) else { return nil }
            do {
                try push(commit, to: remote, branch: branch, expected: tip)
                return commit
            } catch where error.isConflictOnReference {
                lastRefusal = error
                // Exponential backoff with jitter, so that two writers do not collide again in step.
                Thread.sleep(forTimeInterval: backoff * Double(1 << min(attempt, 6)) * Double.random(in: 0.5...1.5))
            }
        }
        throw GitError(operation: "publish to \(branch)", code: lastRefusal?.code ?? -1,
                       message: "the branch kept moving; gave up after \(attempts) attempts (\(lastRefusal?.message ?? ""))")
    }
}
