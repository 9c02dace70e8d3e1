import Foundation
import Hummingbird
import NIOCore

/// What the API lets one client hold: connections within the descriptors
/// the process may open (some kept for the reconcile loop's git, SQLite and
/// providers), an idle timeout, and a deadline for a request's body, so
/// that idle or slow sockets never starve `/healthz` or the loop.
enum ConnectionLimits {
    /// A connection with no request under way is closed after this.
    static let idleTimeout = TimeAmount.seconds(30)
    /// A request body must arrive within this (a gateway's batch takes milliseconds).
    static let bodyDeadline = Duration.seconds(10)
    /// Descriptors never given to connections.
    static let reservedDescriptors = 256
    static let mostConnections = 4_096

    /// Raises the soft limit on open files to the hard one, as Go and nginx
    /// do (systemd's default soft limit is 1,024, the unit asks for more),
    /// and returns how many connections the API may hold within it.
    static func connectionsWithinDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 768 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, 1 << 20)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return max(64, min(mostConnections, Int(limit.rlim_cur) - reservedDescriptors))
    }

    /// How reading a body ended.
    enum Body {
        case complete(ByteBuffer)
        case tooLarge
        case tooSlow
    }

    /// The request's body, if it is at most `limit` bytes and arrives within `bodyDeadline`.
    static func body(of request: Request, upTo limit: Int) async -> Body {
        await withTaskGroup(of: Body?.self) { group in
            group.addTask {
                do { return .complete(try await request.body.collect(upTo: limit)) } catch { return Task.isCancelled ? nil : .tooLarge }
            }
            group.addTask {
                try? await Task.sleep(for: bodyDeadline)
                return Task.isCancelled ? nil : .tooSlow
            }
            defer { group.cancelAll() }
            while let next = await group.next() {
                if let next { return next }
            }
            return .tooSlow
        }
    }
}
