import ServiceLifecycle

/// Renews a replica's shard leases a third of their duration apart, apart
/// from the reconcile rounds (a long round never lets a lease lapse), and
/// gives them up at a graceful stop so that another replica takes over at once.
struct LeaseKeeper: Service {
    let shards: ShardLeases

    func run() async throws {
        let interval = Duration.milliseconds(Int64(shards.duration * 1000 / 3))
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await shards.renew()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        await shards.release()
    }
}
