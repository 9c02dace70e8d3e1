import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle
import StewardSpec
import StewardStore
import UnixSignals

/// `steward agent`: the reconcile loop and the HTTP API in one service
/// group, shut down gracefully on SIGTERM or SIGINT; SIGHUP reconciles now.
public struct Agent {
    public let config: AgentConfig
    public let logger: Logger

    public init(config: AgentConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Runs until a signal stops it.
    public func run() async throws {
        let (reconciler, notifier) = try await open()
        let loop = ReconcileService(reconciler: reconciler, pollSeconds: config.pollInterval.seconds)
        reconciler.onNeedsFetch = { loop.nudge() }
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP)
        signal(SIGHUP, SIG_IGN)
        hangup.setEventHandler { loop.nudge() }
        hangup.resume()
        let flusher = IngestFlusher(buffer: reconciler.ingest, logger: logger)
        let routes = AgentRoutes(reconciler: reconciler, ingest: reconciler.ingest, token: BearerToken(file: config.apiTokenFile),
                                 webhook: GitWebhook(secretFile: config.webhookSecretFile, branch: config.branch), trigger: { loop.nudge() },
                                 reader: ReadAccess(token: config.readTokenFile.map { BearerToken(file: $0) }, writer: BearerToken(file: config.apiTokenFile)),
                                 evidenceArrived: { loop.evidenceArrived() })
        let portFile = config.stateDirectory + "/listen"
        let logger = self.logger
        let application = Application(
            router: routes.router(),
            server: .http1(configuration: .init(idleTimeout: ConnectionLimits.idleTimeout)),
            configuration: .init(address: .hostname(config.listenHost, port: config.listenPort), serverName: "steward",
                                 availableConnectionsDelegate: MaximumAvailableConnections(ConnectionLimits.connectionsWithinDescriptorLimit())),
            onServerRunning: { channel in
                // The port actually bound (listen port 0 picks a free one), for tests and scripts.
                let port = channel.localAddress?.port ?? 0
                try? "\(port)\n".write(toFile: portFile, atomically: true, encoding: .utf8)
                logger.info("listening", metadata: ["port": "\(port)"])
            },
            logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: application), .init(service: loop), .init(service: flusher), .init(service: notifier),
        ]
        if let shards = reconciler.shards { services.append(.init(service: LeaseKeeper(shards: shards))) }
        if let shared = reconciler.routes as? SharedRoutesPublisher { services.append(.init(service: shared)) }
        var configuration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Past this, whatever still runs is cancelled: SIGTERM never waits on a remote that does not answer.
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
        hangup.cancel()
    }

    /// One full round, then exit: for cron, CI and tests.
    public func runOnce() async throws -> Bool {
        let (reconciler, _) = try await open()
        // A replica acts on the shards it takes only after a fetch begun later: its first round takes them, the next acts.
        await reconciler.shards?.renew()
        if reconciler.shards != nil { await reconciler.round(fetchPatience: .seconds(reconciler.config.gitTimeout.seconds * 2 + 5)) }
        await reconciler.round(fetchPatience: .seconds(reconciler.config.gitTimeout.seconds * 2 + 5))
        // A one-shot run does not keep the lease from the agent that runs all the time.
        await reconciler.releaseLease()
        let state = reconciler.snapshot.value
        if let error = state.lastError { logger.error("the round failed", metadata: ["error": "\(error)"]) }
        return state.lastError == nil
    }

    /// The reconciler on its store — the SQLite file of the state directory,
    /// or the PostgreSQL database replicas share, with the shards it holds
    /// and the shared routing table — and the notifier that delivers its
    /// events (a service of the group).
    private func open() async throws -> (Reconciler, Notifier) {
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        let id = AgentLease.agentID(stateDirectory: config.stateDirectory)
        let notifier = Notifier(urls: config.notificationURLs, timeout: .milliseconds(Int64(config.notificationTimeout.seconds * 1000)), logger: logger)
        guard let postgres = config.postgres else {
            let store = try SQLiteAgentStore(path: config.stateDirectory + "/steward.sqlite", agent: id)
            return (try Reconciler(config: config, parts: .standard(config: config, store: store, notifier: notifier), logger: logger), notifier)
        }
        let store = try await PostgresAgentStore(settings: postgres, agent: id, logger: logger)
        guard let coordination = store.coordination else { throw StoreProblem("the PostgreSQL store has no coordination") }
        var parts = AgentParts.standard(config: config, store: store, notifier: notifier)
        let shards = ShardLeases(coordination: coordination, replica: id, host: "\(ProcessInfo.processInfo.hostName):\(config.listenPort)",
                                 duration: config.leaseDuration.seconds, logger: logger)
        parts.shards = shards
        parts.routes = SharedRoutesPublisher(coordination: coordination, replica: id, shards: shards, logger: logger)
        logger.info("sharing the PostgreSQL store with other replicas", metadata: ["replica": "\(id)", "database": "\(postgres.host):\(postgres.port)/\(postgres.database)"])
        return (try Reconciler(config: config, parts: parts, logger: logger), notifier)
    }
}
