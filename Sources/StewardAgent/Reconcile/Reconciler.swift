import Foundation
import Logging
import StewardEngine
import StewardGit
import StewardMetrics
import StewardRouting
import StewardSpec
import StewardStore
import StewardYAML
import Synchronization

/// One reconcile round, again and again: look for the branch's tip (the
/// fetch runs apart, so a remote that is away or never answers holds
/// nothing up), load and check the desired state (keeping the last good one
/// when the tip is invalid), gather the evidence, plan, and carry out the
/// actions: every rollout's traffic first, published at once, then the
/// commits, journalled. Judging evidence, publishing routes and honouring a
/// stop never wait on git: the commit follows when git answers. Used by one
/// task at a time (the agent's loop).
public final class Reconciler: @unchecked Sendable {
    let config: AgentConfig
    let store: any AgentStore
    let repository: Repository
    let remote: RemoteOptions
    /// Every libgit2 call of the agent runs here, one at a time and cancellable.
    let git = GitQueue()
    public let routes: any RoutesPublisher
    public let snapshot: AgentSnapshot
    /// Outcomes posted to the API, written to the store every second.
    public let ingest: IngestBuffer
    /// Who may sign the desired state, and the agent's own signing key.
    let signatures: SignatureGate
    /// Where each metric's evidence comes from, by the provider name its template uses.
    let providers: [String: any EvidenceProvider]
    /// The agent's own metrics, for `GET /metrics`.
    let metrics = AgentMetrics()
    /// Rollout events out to people.
    let notifier: any EventNotifier
    /// Asks rollouts' gates before a promotion, apart from the rounds.
    let gates = GateCaller()
    /// Told when a gate has answered, so that a round judges the answer soon.
    public var onGateAnswer: (@Sendable () -> Void)?
    let logger: Logger
    let clock: @Sendable () -> Date

    /// The last good desired state and the commit it came from.
    var desired: (revision: ObjectID, state: DesiredState)?
    /// Each rollout's status as the planner last wrote it.
    var statuses: [String: RolloutStatus] = [:]
    /// Each rollout's status as last committed to git (transitions only).
    var committed: [String: RolloutStatus] = [:]
    /// Rollouts stopped through the API, in force at once and until git has
    /// the stop annotation too (the commit `steward stop` makes).
    let localStops = Mutex<Set<String>>([])
    /// When the current round's plan was made: traffic changes say how long after it they went out.
    var decidedAt = Date()
    /// The metrics (of versions) no provider could read last round, with why: logged when that changes.
    var providerProblems: [String: String] = [:]
    /// The fetch under way, if any: rounds look for its result and go on without it.
    var pendingFetch: PendingFetch?
    /// Why the last fetch failed, until one succeeds: a round that does not
    /// fetch (evidence arriving, say) still says git is broken.
    var fetchProblem: String?
    /// The lease that lets one agent act on the branch, and whether this one
    /// holds it (one agent; replicas sharing a store hold shards instead).
    let lease: AgentLease
    /// The shards this replica acts on, when several share the store.
    public let shards: ShardLeases?
    /// Each rollout acted on, and the term it is acted on under: a rollout
    /// under a new term is resumed from the journal and git, not memory.
    var actingTerms: [String: Int64] = [:]
    /// Shards taken under a new term, and when: acted on only once a fetch
    /// begun after that has been read (never on a tip older than the takeover).
    var takenAt: [Int: (term: Int64, at: Date)] = [:]
    /// When the fetch whose result was read last began.
    var lastFetchBegan = Date.distantPast
    /// Asks the loop for a fetch now (a shard was taken).
    public var onNeedsFetch: (@Sendable () -> Void)?
    var standing: AgentLease.Standing = .held
    /// Told once, with the number of rollouts, when the routes first follow
    /// a good desired state (systemd hears READY=1 from it).
    public var onReady: (@Sendable (_ rollouts: Int) -> Void)?
    /// Each closed day's cost per model (see `spend`), summed once.
    let closedDays = Mutex<[String: Double]>([:])
    /// The spend last summed, and when: taken again at most once a minute.
    var lastSpend: (at: Date, spent: [String: [Budget.Period: Double]])?
    /// When outcomes older than the retention were last dropped.
    var lastPrune = Date.distantPast
    /// The agent's own traces (off unless `tracing.endpoint` is set).
    let tracer: RoundTracer
    /// The desired revision and day the lifecycle sweep last ran on: once a day per revision is enough.
    var lastLifecycleSweep: (revision: ObjectID, day: String)?
    /// How long a round's git work may wait behind other git work.
    static let gitPatience = Duration.seconds(5)
    /// A fetch under way for longer than this is reported as a problem.
    static let slowFetch: TimeInterval = 10
    /// How long outcomes are kept: long enough for any rollout's exposure.
    static let retention: TimeInterval = 7 * 24 * 3600

    /// A reconciler with its parts given (see ``AgentParts``), its clone of
    /// the repository in the config's state directory, and `clock` for the
    /// time it judges at.
    public init(config: AgentConfig, parts: AgentParts, logger: Logger, clock: @escaping @Sendable () -> Date = Date.init) throws {
        self.config = config
        store = parts.store
        providers = parts.providers
        notifier = parts.notifier
        routes = parts.routes
        shards = parts.shards
        self.logger = logger
        self.clock = clock
        tracer = RoundTracer(endpoint: config.tracingEndpoint, logger: logger)
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        let clone = config.stateDirectory + "/repository.git"
        repository = FileManager.default.fileExists(atPath: clone) ? try Repository.open(clone) : try Repository.create(clone, bare: true)
        remote = RemoteOptions(url: config.repositoryURL, credentials: config.credentials, timeout: config.gitTimeout.seconds)
        signatures = try SignatureGate(config: config, repository: repository)
        lease = AgentLease(branch: config.branch, holder: AgentLease.agentID(stateDirectory: config.stateDirectory),
                           host: "\(ProcessInfo.processInfo.hostName):\(config.stateDirectory)", identity: config.identity)
        snapshot = AgentSnapshot()
        ingest = IngestBuffer(store: parts.store.outcomes)
    }

    /// A reconciler with the standard parts over `store` (events kept in memory, as no one is told).
    public convenience init(config: AgentConfig, store: any AgentStore, logger: Logger, clock: @escaping @Sendable () -> Date = Date.init) throws {
        try self.init(config: config, parts: .standard(config: config, store: store, notifier: MemoryNotifier()), logger: logger, clock: clock)
    }

    /// One full round. Never throws: every failure is logged, reported in
    /// the snapshot, and leaves the last good state being served.
    ///
    /// - Parameters:
    ///   - fetching: look for a new tip (start a fetch, or take the result of
    ///     the one under way); a round for new evidence alone does not.
    ///   - fetchPatience: how long to wait for the fetch before going on
    ///     with the last good state.
    public func round(fetching: Bool = true, fetchPatience: Duration = .seconds(1)) async {
        await tracer.span("reconcile round", ["fetching": "\(fetching)"]) { await reconcile(fetching: fetching, fetchPatience: fetchPatience) }
        tracer.export()
    }

    private func reconcile(fetching: Bool, fetchPatience: Duration) async {
        let now = clock()
        let started = ContinuousClock.now
        defer { metrics.roundTook(ContinuousClock.now - started) }
        var readATip = false, swept = false
        // A remote that is away, or never answers, is reported but stops nothing below.
        if fetching || pendingFetch != nil {
            do {
                readATip = try await tracer.span("fetch") { try await refreshDesired(patience: fetchPatience) }
                // A fetch still under way is no sign that git is back.
                if pendingFetch == nil { fetchProblem = nil }
            } catch {
                fetchProblem = "\(error)"
                let kind = (error as? GitError)?.kind.rawValue ?? "other"
                logger.error("cannot read the branch; acting on the last good state", metadata: ["error": "\(error)", "kind": "\(kind)"])
            }
        }
        let gitProblem = fetchProblem
        if case .refused(let why) = standing {
            // Another agent acts on this branch: this one plans nothing, commits nothing and publishes no routes.
            snapshot.update {
                $0.lastError = why
                $0.ready = false
                $0.lastRound = now
            }
            return
        }
        do {
            try await settleJournal()
            guard let whole = desired else {
                snapshot.update { $0.lastError = gitProblem }
                return
            }
            // One agent acts on every rollout; a replica on those of the shards it holds.
            let desired = try await actingOn(whole)
            let moment = Moment(secondsSinceEpoch: now.timeIntervalSince1970)
            let evidence = try await tracer.span("gather evidence") { try await gatherEvidence(desired.state, at: moment) }
            let stopped = await withLocalStops(desired.state)
            let actions = await tracer.span("plan", ["rollouts": "\(desired.state.rollouts.count)"]) {
                Planner.plan(desired: stopped, observed: statuses, evidence: evidence, now: moment,
                             utcOffsets: Self.utcOffsets(desired.state, at: now))
            }
            decidedAt = Date()
            try await moveTraffic(actions, desired: desired, at: moment)
            // The routes follow a good desired state: ready, however long the commits below take (a first round
            // with a thousand rollouts commits a thousand statuses) and whatever git says of them.
            // Shown as planned meanwhile; the end of the round shows what was committed.
            var planned = statuses
            for case .writeStatus(let rollout, let status) in actions { planned[rollout] = status }
            let wasReady = snapshot.value.ready
            snapshot.update {
                $0.statuses = planned
                $0.ready = true
            }
            if !wasReady { onReady?(planned.count) }
            try await tracer.span("commit") { try await commitTheRest(actions, desired: desired, at: moment) }
            // The sweep is the registry's, not a rollout's: with several replicas, the holder of shard 0 runs it.
            if shards.map({ $0.acting[0] != nil }) ?? true {
                await tracer.span("lifecycle sweep") { await sweepLifecycle(whole, at: moment) }
            }
            recordMetrics(judgedAt: moment)
            try await publishRoutes(desired)
            swept = try await pruneOutcomes(now)
            snapshot.update {
                $0.statuses = statuses
                $0.ready = true
                $0.lastError = gitProblem
            }
        } catch {
            shards?.refused(error)
            // The kind says whether waiting helps (the network, a moved branch) or a person must act (credentials, a conflict).
            let kind = (error as? GitError)?.kind.rawValue ?? "other"
            logger.error("reconcile failed; serving the last good state", metadata: ["error": "\(error)", "kind": "\(kind)"])
            snapshot.update {
                $0.statuses = statuses
                $0.lastError = gitProblem ?? "\(error)"
            }
        }
        snapshot.update { $0.lastRound = now }
        // Loading parses on every core, each thread in its own malloc arena; give the transient memory (syntax trees, file
        // bytes) back once the round has let go of it, and every ten minutes (with the sweep of old outcomes) what idle
        // rounds left in the arenas.
        if readATip || swept { releaseFreedMemory() }
    }

    /// Whether a fetch is under way: the loop looks again soon rather than at the next poll.
    public var isFetching: Bool { pendingFetch != nil }

    /// Gives up on the fetch under way (at shutdown).
    public func cancelFetch() {
        pendingFetch?.cancel()
        pendingFetch = nil
    }

    /// Gives the agent lease up at a graceful stop, so that a replacement acts
    /// at once; waits for git at most a few seconds (the lease expires anyway).
    public func releaseLease() async {
        if let shards { return await shards.release() }
        guard standing == .held, desired != nil else { return }
        let lease = self.lease
        do {
            try await withGit("release the agent lease", startWithin: .seconds(2), finishWithin: .seconds(3)) { repository, remote in
                try lease.release(in: repository, remote: remote, now: Date())
            }
            logger.info("released the agent lease")
        } catch {
            logger.warning("could not release the agent lease; it expires by itself", metadata: ["error": "\(error)"])
        }
    }

    /// The rollouts' phases and weights, and the verdicts reached this round.
    func recordMetrics(judgedAt moment: Moment) {
        metrics.rollouts(statuses)
        for status in statuses.values {
            for (metric, verdict) in status.verdicts where verdict.windowEnd == moment { metrics.verdict(metric: metric, result: verdict.outcome) }
        }
    }

    /// What became of an emergency stop asked through the API.
    public enum StopAnswer: Sendable, Equatable {
        /// The model's traffic is held on stable in the routing table.
        case held
        /// No rollout of that name.
        case unknown
        /// The stop could not be put in force (with several replicas, the
        /// shared store cannot be written), with why: ask again, or another replica.
        case notHeld(String)
    }

    /// Stops a rollout now, without waiting for git or for a round: all its
    /// model's traffic goes to stable in the routing table at once, and stays
    /// there until git has the stop too. With several replicas the stop goes
    /// into the store, and every replica's table holds the model at once.
    public func stopNow(_ rollout: String) async -> StopAnswer {
        let state = snapshot.value
        guard let model = state.models[rollout], let stable = state.statuses[rollout]?.stable.description ?? state.stables[rollout] else { return .unknown }
        localStops.withLock { _ = $0.insert(rollout) }
        logger.warning("emergency stop requested through the API", metadata: ["rollout": "\(rollout)"])
        do {
            try await routes.hold(model, on: stable, rollout: rollout)
        } catch {
            logger.error("cannot write the routing table for the stop; the next round tries again", metadata: ["error": "\(error)"])
            // One agent serves the held table from memory whatever its file says; replicas share the table only through the store.
            if shards != nil { return .notHeld("\(error)") }
        }
        return .held
    }

    /// The desired state with the API's stops added (with several replicas,
    /// the stops in the store, asked of any of them: the store is their one
    /// record); a stop that git has taken over is dropped.
    func withLocalStops(_ state: DesiredState) async -> DesiredState {
        if let coordination = shards?.coordination {
            do {
                let asked = Set(try await coordination.stopRequests().map(\.rollout))
                localStops.withLock { $0 = asked }
            } catch {
                logger.warning("cannot read the stops asked of other replicas", metadata: ["error": "\(error)"])
            }
        }
        var state = state
        let stop = ManualControl.emergencyStop.rawValue
        var released: [(model: String, rollout: String)] = []
        localStops.withLock { stops in
            for name in stops {
                guard state.rollouts[name]?.metadata.annotations[stop] == nil else {
                    // Git has the stop: the plan holds the traffic from now on.
                    stops.remove(name)
                    if let model = state.rollouts[name]?.model { released.append((model, name)) }
                    continue
                }
                state.rollouts[name]?.metadata.annotations[stop] = "api"
            }
        }
        for (model, rollout) in released { await routes.release(model, rollout: rollout) }
        return state
    }

    /// Drops outcomes past the retention, every ten minutes; returns whether it swept.
    func pruneOutcomes(_ now: Date) async throws -> Bool {
        guard now.timeIntervalSince(lastPrune) > 600 else { return false }
        lastPrune = now
        let outcomes = store.outcomes, before = now.timeIntervalSince1970 - Self.retention
        let readings = store.readings
        let dropped = try await outcomes.prune(before: before) + readings.prune(before: before)
        if dropped > 0 { logger.info("dropped old outcomes", metadata: ["buckets": "\(dropped)"]) }
        return true
    }

    // MARK: - Desired state

    /// Takes the result of the fetch under way (starting one if none is),
    /// waiting for it at most `patience`, and loads the tip if it is new and
    /// valid. Returns whether a tip was read (valid or not). A fetch that
    /// takes longer goes on: a later round takes its result.
    @discardableResult
    func refreshDesired(patience: Duration) async throws -> Bool {
        let branch = config.branch, timeout = config.gitTimeout.seconds
        let lease = shards == nil ? self.lease : nil, logger = self.logger
        let pending = pendingFetch ?? PendingFetch { [self] in
            // Never more than the timeout in the queue and again in the transfer: a black-holed remote is given up on.
            try await withGit("fetch \(branch)", startWithin: .seconds(timeout), finishWithin: .seconds(timeout * 2)) { repository, remote in
                let tip = try repository.fetch(remote, branch: branch)
                guard let lease else { return PendingFetch.Fetched(tip: tip, standing: .held) }
                do {
                    return PendingFetch.Fetched(tip: tip, standing: try lease.claim(in: repository, remote: remote, now: Date()))
                } catch {
                    // The lease unread is no reason to stop: the last standing holds until it can be read.
                    logger.warning("cannot read or renew the agent lease", metadata: ["error": "\(error)"])
                    return PendingFetch.Fetched(tip: tip, standing: nil)
                }
            }
        }
        pendingFetch = pending
        guard let result = await pending.result(within: patience) else {
            let waited = Date().timeIntervalSince(pending.started)
            guard waited < Self.slowFetch else { throw PendingFetch.Unanswered(branch: branch, seconds: Int(waited)) }
            return false
        }
        pendingFetch = nil
        lastFetchBegan = pending.started
        let fetched: FetchResult
        do {
            let answer = try result.get()
            fetched = answer.tip
            if let standing = answer.standing, standing != self.standing {
                if case .refused(let why) = standing { logger.error("not acting: \(why)") } else { logger.info("holding the agent lease; acting") }
                self.standing = standing
            }
        } catch {
            metrics.gitError("fetch")
            throw error
        }
        metrics.fetched(at: Date())
        snapshot.update {
            $0.observedRevision = fetched.tip.description
            $0.lastFetch = Date()
        }
        if fetched.forced { logger.warning("the branch was force-pushed; following it", metadata: ["from": "\(fetched.previous?.short ?? "")", "to": "\(fetched.tip.short)"]) }
        // A tip already loaded, or already found invalid, is not read again.
        guard fetched.tip != desired?.revision, fetched.tip.description != snapshot.value.invalidRevision else { return false }
        let loaded = try await load(fetched.tip)
        defer { repository.forgetTrees() }
        guard loaded.isValid else {
            refuse(fetched.tip, "the tip is not valid; acting on the last good state", loaded.diagnostics.filter { $0.severity == .error }.map(\.description))
            return true
        }
        let gate = signatures, tip = fetched.tip, lastGood = desired?.revision
        let policies = Array((desired?.state ?? loaded.state).policies.values)
        if let refusal = try await withGit("check the signature of \(tip.short)", { repository, _ in
            try gate.refusal(of: tip, lastGood: lastGood, policies: policies, in: repository)
        }) {
            refuse(tip, "the tip is not signed by an allowed signer; acting on the last good state", [refusal])
            return true
        }
        let first = desired == nil
        desired = (fetched.tip, loaded.state.withoutSyntaxTrees())
        snapshot.update {
            $0.desiredRevision = fetched.tip.description
            $0.invalidRevision = nil
            $0.invalidDiagnostics = []
            $0.models = loaded.state.rollouts.mapValues(\.model)
            $0.stables = loaded.state.rollouts.mapValues(\.stable.description)
            $0.versions = loaded.state.models.mapValues { Set($0.versions.map(\.version.description)) }
        }
        // A replica resumes each rollout when it takes the rollout's shard (`actingOn`).
        if first, shards == nil { try await resumeStatuses(at: fetched.tip, desired: loaded.state) }
        logger.info("desired state loaded", metadata: ["revision": "\(fetched.tip.short)", "rollouts": "\(loaded.state.rollouts.count)"])
        return true
    }

    /// Keeps acting on the last good state, and says why the tip is not acted on.
    private func refuse(_ tip: ObjectID, _ message: Logger.Message, _ problems: [String]) {
        logger.error(message, metadata: ["revision": "\(tip.short)", "errors": "\(problems.prefix(5).joined(separator: "; "))"])
        snapshot.update {
            $0.invalidRevision = tip.description
            $0.invalidDiagnostics = problems
        }
    }

    /// The desired state at a commit: the YAML under the configured paths,
    /// except the agent's own status files.
    func load(_ commit: ObjectID) async throws -> LoadResult {
        let paths = config.paths
        metrics.parsed(wholeTree: true)
        return try await withGit("load \(commit.short)") { repository, _ in try Self.load(commit, in: repository, paths: paths) }
    }

    /// One commit of the agent's clone as `git show --stat` would tell it,
    /// for the status page's links; nil for an id that is not a commit here.
    /// Only hexadecimal ids are looked up, never a revision expression.
    func describeCommit(_ id: String) async -> String? {
        guard (7...40).contains(id.count), id.allSatisfy(\.isHexDigit) else { return nil }
        let records = try? await withGit("show \(id.prefix(7))") { repository, _ in
            try repository.log(from: try repository.resolveCommit(id), limit: 1)
        }
        guard let commit = records?.first else { return nil }
        return """
            commit \(commit.id)
            Author: \(commit.authorName) <\(commit.authorEmail)>
            Date:   \(commit.date.ISO8601Format())

            \(commit.message.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))

            \(commit.changedPaths.map { " " + $0 }.joined(separator: "\n"))

            """
    }

    /// Runs git work on the agent's git queue, with the remote's transfers
    /// aborted if the calling task is cancelled (a shutdown). A round's git
    /// work waits at most `gitPatience` for the queue (a hung fetch holds
    /// it) and runs at most the configured timeout.
    func withGit<T: Sendable>(_ operation: String, startWithin: Duration = gitPatience, finishWithin: Duration? = nil,
                              _ work: @escaping @Sendable (Repository, RemoteOptions) throws -> T) async throws -> T {
        let repository = self.repository, remote = self.remote
        return try await git.run(operation, startWithin: startWithin, finishWithin: finishWithin ?? .seconds(remote.timeout)) { cancellation in
            var options = remote
            options.cancellation = cancellation
            return try work(repository, options)
        }
    }

    /// The same, on the caller's thread (for work already off the cooperative pool).
    static func load(_ commit: ObjectID, in repository: Repository, paths: [String]) throws -> LoadResult {
        // The loader would skip status files by their kind; leaving out their folder spares parsing one per rollout.
        DesiredStateLoader().load(try repository.yamlFiles(at: commit, under: paths)
            .filter { !$0.path.hasPrefix(statusFolder + "/") }.map { SourceFile(path: $0.path, bytes: $0.bytes) })
    }

    static let statusFolder = "status"
    static func statusPath(_ rollout: String) -> String { "\(statusFolder)/\(rollout).yaml" }

    /// A fresh agent (or one on another host) resumes from the status files in git:
    /// the status branch's when the config names one, else (or for a rollout
    /// it has no file of: an agent just switched to a status branch) the
    /// watched commit's. The journal adds the evidence judged since the last
    /// transition, when it agrees with git on where the rollout is.
    func resumeStatuses(at commit: ObjectID, desired: DesiredState) async throws {
        let journal = store.journal
        let journalled = try await journal.latestStatuses()
        var statusTip: ObjectID?
        if let statusBranch = config.statusBranch {
            statusTip = try await withGit("fetch \(statusBranch)") { repository, remote in try repository.fetchIfPresent(remote, branch: statusBranch)?.tip }
        }
        let sources = [statusTip, commit].compactMap(\.self)
        for name in desired.rollouts.keys.sorted() where statuses[name] == nil {
            let path = Self.statusPath(name)
            guard let bytes = try await withGit("read \(path)", { repository, _ in
                for source in sources { if let bytes = try repository.file(path, at: source) { return bytes } }
                return nil
            }) else { continue }
            let bag = DiagnosticBag()
            if let decoded = StatusFile.decode(bytes, file: path, bag: bag), decoded.rollout == name {
                let kept = journalled[name].flatMap { $0.transition == decoded.status.transition ? $0 : nil }
                statuses[name] = kept ?? decoded.status
                committed[name] = decoded.status
                logger.info("resumed from the status in git", metadata: ["rollout": "\(name)", "phase": "\(decoded.status.phase.rawValue)"])
            } else {
                logger.warning("status file unreadable; starting the rollout afresh", metadata: ["file": "\(path)", "errors": "\(bag.diagnostics.map(\.description))"])
            }
        }
    }

    /// Actions begun before a crash are not run again blindly: the plan is
    /// made anew from git, and every commit checks the tip before it is made.
    func settleJournal() async throws {
        let journal = store.journal
        let pending = try await journal.pending()
        metrics.journalPending(pending.count)
        guard !pending.isEmpty else { return }
        for entry in pending {
            logger.warning("an action was interrupted; re-checking it against git", metadata: ["rollout": "\(entry.rollout)", "action": "\(entry.action)"])
        }
        try await journal.settlePending("interrupted; re-planned from git after a restart")
    }

    /// The engine reads no time-zone database: the agent owns the clock and
    /// gives each change window's zone's offset as of now.
    static func utcOffsets(_ desired: DesiredState, at now: Date) -> [String: Int] {
        var offsets: [String: Int] = [:]
        for policy in desired.policies.values {
            for window in policy.changeWindows {
                let zone = window.timeZone
                guard let timeZone = TimeZone(identifier: zone) else { continue }
                offsets[zone] = timeZone.secondsFromGMT(for: now)
            }
        }
        return offsets
    }

    // MARK: - Evidence

    /// The evidence of every span the engine may judge (between every change
    /// of weight and the start of the current step): outcomes from the
    /// store, and the windows Prometheus holds.
    func gatherEvidence(_ desired: DesiredState, at now: Moment) async throws -> Evidence {
        let ingest = self.ingest
        do {
            try await ingest.flush()
        } catch {
            // The rollouts are judged on what the store has; new outcomes are refused (503) until it can write again.
            logger.error("cannot write outcomes; judging on what the store holds", metadata: ["error": "\(error)"])
        }
        var requests: [String: [EvidenceRequest]] = [:]
        for (name, status) in statuses {
            guard let rollout = desired.rollouts[name] else { continue }
            var boundaries = Set(status.exposure.map(\.at))
            boundaries.insert(status.stepStartedAt)
            let ordered = boundaries.filter { $0 < now }.sorted() + [now]
            let spans = zip(ordered, ordered.dropFirst()).map { EvidenceRequest.Span(from: $0, to: $1) }
            let versions = Set([status.stable] + (status.canary.map { [$0] } ?? []) + status.split.map(\.version))
            for metric in desired.metrics(of: rollout) {
                for version in versions {
                    requests[metric.provider.name, default: []].append(
                        EvidenceRequest(metric: metric, model: rollout.model, version: version, spans: spans, due: status.isDue(metric, at: now)))
                }
            }
        }
        var evidence = Evidence()
        var asked: [(metric: String, version: SemanticVersion)] = []
        for (name, requested) in requests.sorted(by: { $0.key < $1.key }) {
            guard let provider = providers[name] else {
                let known = providers.keys.sorted().joined(separator: ", ")
                for request in requested {
                    evidence.markUnavailable(metric: request.metric.name, version: request.version,
                                             reason: "this agent has no provider named \(name) (it has \(known))")
                }
                asked += requested.filter(\.due).map { ($0.metric.name, $0.version) }
                continue
            }
            try await tracer.span("provider \(name)", ["queries": "\(requested.filter(\.due).count)"]) {
                try await provider.gather(requested, at: now, into: &evidence)
            }
            if provider.asksServers { asked += requested.filter(\.due).map { ($0.metric.name, $0.version) } }
        }
        logProviderProblems(asked, in: evidence)
        gates.record(into: &evidence)
        evidence.spent = try await spend(desired, at: Date(timeIntervalSince1970: now.secondsSinceEpoch))
        return evidence
    }

    /// Logs a metric that cannot be read once, when it starts (and when it recovers), not every round.
    private func logProviderProblems(_ read: [(metric: String, version: SemanticVersion)], in evidence: Evidence) {
        var now: [String: String] = [:]
        for (metric, version) in read {
            if let reason = evidence.unavailable(metric: metric, version: version) { now["\(metric) \(version)"] = reason }
        }
        for (key, reason) in now where providerProblems[key] != reason {
            logger.warning("a metric cannot be read: inconclusive until it can", metadata: ["metric": "\(key)", "reason": "\(reason)"])
        }
        for key in providerProblems.keys where now[key] == nil {
            logger.info("a metric can be read again", metadata: ["metric": "\(key)"])
        }
        providerProblems = now
    }
}

/// glibc keeps freed memory in its arenas; `malloc_trim` returns it to the system.
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32

private func releaseFreedMemory() {
    #if os(Linux)
    _ = mallocTrim(0)
    #endif
}
