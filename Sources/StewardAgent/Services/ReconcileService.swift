import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The reconcile loop as a service. A round fetches at each poll interval
/// (jittered ±10%), or as soon as something asks for it (a webhook,
/// `POST /v1/reconcile`, SIGHUP); between polls, a round judges new
/// evidence as it arrives (at most one a second), so a failing canary is
/// dropped within a second of the outcomes that show it, not at the next
/// poll. A graceful shutdown lets the round in flight finish for a few
/// seconds, then cancels it (git work in flight is abandoned; the journal
/// and the commits' tip checks make that as safe as a crash).
public final class ReconcileService: Service, Sendable {
    let reconciler: Reconciler
    let pollSeconds: Double
    let notifier = SystemdNotifier()
    private let nudged = Mutex(false)
    private let evidence = Mutex(false)
    /// How long a round in flight may go on after SIGTERM.
    static let shutdownGrace = Duration.seconds(3)
    /// The least time between two rounds started for new evidence.
    static let evidenceGap = 1.0

    public init(reconciler: Reconciler, pollSeconds: Double) {
        self.reconciler = reconciler
        self.pollSeconds = pollSeconds
        reconciler.onReady = { [notifier] rollouts in notifier.notify("READY=1\nSTATUS=reconciling \(rollouts) rollouts") }
        reconciler.onGateAnswer = { [weak self] in self?.evidenceArrived() }
    }

    /// Asks for a round with a fetch as soon as the current one ends; bursts coalesce.
    public func nudge() { nudged.withLock { $0 = true } }

    /// Says new evidence has arrived: a round judges it soon, without a fetch.
    public func evidenceArrived() { evidence.withLock { $0 = true } }

    private func take(_ flag: borrowing Mutex<Bool>) -> Bool {
        flag.withLock { flag in
            defer { flag = false }
            return flag
        }
    }

    public func run() async throws {
        var failures = 0
        var nextFetch = Date()
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let fetching = take(nudged) || Date() >= nextFetch
            _ = take(evidence)
            let started = Date()
            await roundUntilShutdown(fetching: fetching)
            let state = reconciler.snapshot.value
            notifier.notify("WATCHDOG=1")
            if fetching {
                // After a failure (git or the disk down), try again soon and then less and less often, up to the poll interval.
                failures = state.lastError == nil ? 0 : failures + 1
                let backoff = failures == 0 ? pollSeconds : min(pollSeconds, Double(1 << min(failures - 1, 10)))
                nextFetch = started.addingTimeInterval(backoff * Double.random(in: 0.9...1.1))
            }
            // A fetch under way is looked at again in a second, not at the next poll.
            let wake = reconciler.isFetching ? min(nextFetch, started.addingTimeInterval(Self.evidenceGap)) : nextFetch
            // Sleep until then, a nudge, or new evidence; a shutdown ends the wait.
            try? await cancelWhenGracefulShutdown {
                while Date() < wake {
                    if self.nudged.withLock({ $0 }) { break }
                    if self.evidence.withLock({ $0 }), Date().timeIntervalSince(started) >= Self.evidenceGap { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        }
        notifier.notify("STOPPING=1")
        reconciler.cancelFetch()
        await reconciler.releaseLease()
    }

    /// One round, cancelled if a shutdown's grace runs out before it ends.
    private func roundUntilShutdown(fetching: Bool) async {
        let reconciler = self.reconciler
        let round = Task { await reconciler.round(fetching: fetching) }
        await withGracefulShutdownHandler {
            await round.value
        } onGracefulShutdown: {
            Task {
                try? await Task.sleep(for: Self.shutdownGrace)
                round.cancel()
            }
        }
    }
}
