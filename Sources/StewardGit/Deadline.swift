import Foundation

/// Runs blocking libgit2 work off the caller's threads, with a deadline.
///
/// libgit2 calls block their thread (a connect to an unresponsive host can
/// take minutes). The work runs on a thread of its own; the caller waits at
/// most `timeout` and then gets an error, so no task of the agent's
/// cooperative pool is ever stuck in libgit2. A transfer that outlives its
/// deadline is also aborted from libgit2's progress callbacks.
public enum GitDeadline {
    public static func run<T: Sendable>(timeout: TimeInterval, _ operation: String,
                                        _ work: @escaping @Sendable () throws(GitError) -> T) async throws(GitError) -> T {
        let outcome = Outcome<T>()
        let result: Result<T, GitError> = await withCheckedContinuation { continuation in
            outcome.set(continuation)
            let thread = Thread {
                do throws(GitError) {
                    outcome.finish(.success(try work()))
                } catch {
                    outcome.finish(.failure(error))
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                let shown = timeout >= 1 ? "\(Int(timeout))s" : "\(Int(timeout * 1000))ms"
                outcome.finish(.failure(GitError(operation: operation, code: -1, message: "no answer within \(shown)")))
            }
        }
        return try result.get()
    }

    /// Resumes its continuation once, with whichever result comes first.
    private final class Outcome<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Result<T, GitError>, Never>?

        func set(_ continuation: CheckedContinuation<Result<T, GitError>, Never>) {
            lock.lock()
            self.continuation = continuation
            lock.unlock()
        }

        func finish(_ result: Result<T, GitError>) {
            lock.lock()
            let waiting = continuation
            continuation = nil
            lock.unlock()
            waiting?.resume(returning: result)
        }
    }
}
