import Foundation

/// Runs blocking work (libgit2, SQLite) on a thread of its own, so that it
/// never holds one of Swift's cooperative threads; the caller just awaits.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .utility).async {
            continuation.resume(with: Result { try body() })
        }
    }
}
