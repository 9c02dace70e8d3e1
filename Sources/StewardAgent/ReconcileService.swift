import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The reconcile loop as a service: a round, then a wait of the poll
/// interval (jittered ±10%) or until something asks for a round now (a
/// webhook, `POST /v1/reconcile`, SIGHUP). A graceful shutdown lets the
/// round in flight finish.
public final class ReconcileService: Service, Sendable {
    let reconciler: Reconciler
    let pollSeconds: Double
    let notifier = SystemdNotifier()
    private let nudged = Mutex(false)

    public init(reconciler: Reconciler, pollSeconds: Double) {
        self.reconciler = reconciler
        self.pollSeconds = pollSeconds
    }

    /// Asks for a round as soon as the current one ends; bursts coalesce.
    public func nudge() { nudged.withLock { $0 = true } }

    private func takeNudge() -> Bool {
        nudged.withLock { flag in
            defer { flag = false }
            return flag
        }
    }

    public func run() async throws {
        var announcedReady = false
        var failures = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await reconciler.round()
            let state = reconciler.snapshot.value
            if state.ready, !announcedReady {
                notifier.notify("READY=1\nSTATUS=reconciling \(state.statuses.count) rollouts")
                announcedReady = true
            }
            notifier.notify("WATCHDOG=1")
            // After a failure (git or the disk down), try again soon and then less and less often, up to the poll interval.
            failures = state.lastError == nil ? 0 : failures + 1
            let backoff = failures == 0 ? pollSeconds : min(pollSeconds, Double(1 << min(failures - 1, 10)))
            let wait = backoff * Double.random(in: 0.9...1.1)
            // Sleep until the poll interval ends or a nudge comes; a shutdown ends the wait, never a round.
            let deadline = Date().addingTimeInterval(wait)
            try? await cancelWhenGracefulShutdown {
                while Date() < deadline, !self.takeNudge() { try await Task.sleep(for: .milliseconds(50)) }
            }
        }
        notifier.notify("STOPPING=1")
    }
}
