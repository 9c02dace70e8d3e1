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
    ///
    /// - Parameters:
    ///   - startWithin: how long the call may wait behind others; past it the
    ///     caller gets ``GitError/Kind/timeout`` and the work never starts.
    ///   - finishWithin: how long the work may run once started; past it the
    ///     caller gets ``GitError/Kind/timeout`` and the work is told to stop.
    ///     A transfer blocked in a read that never returns (a black-holed
    ///     remote) gives no progress callback to stop at: its thread is
    ///     abandoned and the queue stays busy until the read ends, so later
    ///     calls are refused by their own `startWithin`.
    public func run<T: Sendable>(_ operation: String, startWithin: Duration? = nil, finishWithin: Duration? = nil,
                                 _ work: @escaping @Sendable (GitCancellation) throws -> T) async throws -> T {
        let cancellation = GitCancellation()
        let outcome = Outcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.wait(continuation)
                if let startWithin {
                    Self.after(startWithin) {
                        guard !outcome.started else { return }
                        cancellation.cancel()
                        let holder = self.busy.withLock { $0 }
                        outcome.finish(.failure(GitError.timedOut(operation, waiting: startWithin, behind: holder)))
                    }
                }
                queue.async {
                    guard !cancellation.isCancelled, outcome.start() else { return }
                    self.busy.withLock { $0 = operation }
                    defer { self.busy.withLock { $0 = nil } }
                    if let finishWithin {
                        Self.after(finishWithin) {
                            cancellation.cancel()
                            outcome.finish(.failure(GitError.timedOut(operation, running: finishWithin)))
                        }
                    }
                    outcome.finish(Result { try work(cancellation) })
                }
            }
        } onCancel: {
            cancellation.cancel()
            outcome.finish(.failure(GitError.cancelled(operation)))
        }
    }

    /// The operation running on the queue now, if any.
    private let busy = Mutex<String?>(nil)

    private static func after(_ delay: Duration, _ check: @escaping @Sendable () -> Void) {
        let (seconds, attoseconds) = delay.components
        let nanoseconds = Int(min(seconds, 1 << 30)) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + .nanoseconds(nanoseconds), execute: check)
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
        private let began = Atomic<Bool>(false)

        /// Marks the work as begun; false if the caller has already been answered.
        func start() -> Bool {
            began.store(true, ordering: .relaxed)
            return state.withLock { state in
                if case .waiting = state { return true }
                if case .idle = state { return true }
                return false
            }
        }

        var started: Bool { began.load(ordering: .relaxed) }

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

    /// The call waited longer than it may for the queue.
    static func timedOut(_ operation: String, waiting: Duration, behind holder: String?) -> GitError {
        GitError(operation: operation, code: GIT_EUSER.rawValue,
                 message: "timed out: git has been busy for more than \(waiting)" + (holder.map { " with '\($0)', which has not answered" } ?? ""))
    }

    /// The work ran longer than it may.
    static func timedOut(_ operation: String, running: Duration) -> GitError {
        GitError(operation: operation, code: GIT_EUSER.rawValue, message: "timed out: no answer within \(running)")
    }
}
