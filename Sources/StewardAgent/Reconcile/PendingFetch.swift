import Foundation
import StewardGit
import Synchronization

/// A fetch running apart from the rounds, so that judging evidence,
/// publishing routes and honouring a stop never wait on the remote: a round
/// looks for its result and goes on without it.
final class PendingFetch: Sendable {
    let started = Date()
    private let outcome = Mutex<Result<PendingFetch.Fetched, any Error>?>(nil)
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(_ fetch: @escaping @Sendable () async throws -> PendingFetch.Fetched) {
        let running = Task { [self] in
            let result: Result<PendingFetch.Fetched, any Error>
            do { result = .success(try await fetch()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
        }
        task.withLock { $0 = running }
    }

    /// The fetch's result, waiting for it at most `patience`; nil while it is under way.
    func result(within patience: Duration) async -> Result<PendingFetch.Fetched, any Error>? {
        let deadline = ContinuousClock.now + patience
        while true {
            if let result = outcome.withLock({ $0 }) { return result }
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    func cancel() { task.withLock { $0?.cancel() } }

    /// The branch's tip, and whether this agent holds the lease to act on it (nil: the lease could not be read).
    struct Fetched: Sendable {
        var tip: FetchResult
        var standing: AgentLease.Standing?
    }

    /// A fetch that has not answered for a long while.
    struct Unanswered: Error, CustomStringConvertible {
        var branch: String
        var seconds: Int
        var description: String { "fetch \(branch): the remote has not answered for \(seconds)s; acting on the last good state meanwhile" }
    }
}
