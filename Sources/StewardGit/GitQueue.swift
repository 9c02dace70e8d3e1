import CGit2
import Foundation
import Synchronization

/// Runs libgit2 work for async callers on one serial queue of its own, the
/// way GRDB runs SQLite: never on Swift's cooperative threads (a connect to
/// an unresponsive host blocks its thread for minutes), one call at a time
/// (a `git_repository` must not be used by two threads at once), and
/// cancellable. A cancelled caller gets ``GitError/Kind/cancelled`` at once:
/// a call that has not started never starts, and one under way is told to
/// stop (transfers abort at libgit2's next progress callback) and its
/// result is dropped.
public final class GitQueue: Sendable {
    private let queue: DispatchQueue

    public init(label: String = "steward.git") {
        queue = DispatchQueue(label: label, qos: .utility)
    }

    /// Runs `work` on the queue. `work` gets the call's cancellation, to pass
    /// to transfers (``RemoteOptions/cancellation``).
    public func run<T: Sendable>(_ operation: String, _ work: @escaping @Sendable (GitCancellation) throws -> T) async throws -> T {
        let cancellation = GitCancellation()
        let outcome = Outcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.wait(continuation)
                queue.async {
                    guard !cancellation.isCancelled else { return }
                    outcome.finish(Result { try work(cancellation) })
                }
            }
        } onCancel: {
            cancellation.cancel()
            outcome.finish(.failure(GitError.cancelled(operation)))
        }
    }

    /// The first result wins, whether it comes before or after the caller waits.
    private final class Outcome<T: Sendable>: Sendable {
        private enum State {
            case idle
            case waiting(CheckedContinuation<T, any Error>)
            case finished(Result<T, any Error>)
            case delivered
        }
        private let state = Mutex<State>(.idle)

        func wait(_ continuation: CheckedContinuation<T, any Error>) {
            let early: Result<T, any Error>? = state.withLock { state in
                guard case .finished(let result) = state else {
                    state = .waiting(continuation)
                    return nil
                }
                state = .delivered
                return result
            }
            if let early { continuation.resume(with: early) }
        }

        func finish(_ result: Result<T, any Error>) {
            let waiting: CheckedContinuation<T, any Error>? = state.withLock { state in
                switch state {
                case .idle:
                    state = .finished(result)
                    return nil
                case .waiting(let continuation):
                    state = .delivered
                    return continuation
                case .finished, .delivered:
                    return nil
                }
            }
            waiting?.resume(with: result)
        }
    }
}

/// Set when the task that asked for some git work is cancelled.
public final class GitCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public var isCancelled: Bool { flag.load(ordering: .relaxed) }

    public func cancel() { flag.store(true, ordering: .relaxed) }
}

extension GitError {
    /// The caller's task was cancelled before or during `operation`.
    static func cancelled(_ operation: String) -> GitError {
        GitError(operation: operation, code: GIT_EUSER.rawValue, message: "cancelled")
    }
}
