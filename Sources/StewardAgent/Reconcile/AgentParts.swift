import Logging
import StewardMetrics
import StewardStore

/// What a reconciler works with besides git, given to it rather than built
/// inside it (as Hummingbird is given a persist driver): the store, where
/// each metric's evidence comes from, where events go and where the routes
/// go out. `steward agent` runs with ``standard(config:store:notifier:)``;
/// an embedding program or a test chooses each part.
public struct AgentParts: Sendable {
    /// The journal, the outcomes and the provider readings.
    public var store: any AgentStore
    /// Each provider by the name its templates use (`ingest`, `prometheus`, `http`).
    public var providers: [String: any EvidenceProvider]
    /// Rollout events out to people.
    public var notifier: any EventNotifier
    /// The routing table out to gateways.
    public var routes: any RoutesPublisher
    /// The shards this replica holds, when several share the store; nil
    /// for an agent that acts on every rollout.
    public var shards: ShardLeases?

    public init(store: any AgentStore, providers: [String: any EvidenceProvider], notifier: any EventNotifier, routes: any RoutesPublisher,
                shards: ShardLeases? = nil) {
        self.store = store
        self.providers = providers
        self.notifier = notifier
        self.routes = routes
        self.shards = shards
    }

    /// The parts `steward agent` runs with: the three providers over the
    /// store and the configured servers, the routing file of the config.
    public static func standard(config: AgentConfig, store: any AgentStore, notifier: any EventNotifier) -> AgentParts {
        AgentParts(store: store, providers: providers(config: config, store: store), notifier: notifier,
                   routes: RoutingTablePublisher(path: config.routesPath))
    }

    /// The providers a template can name: the agent's own outcomes, a
    /// Prometheus server, an HTTP JSON endpoint. A new provider is one
    /// conformance to ``EvidenceProvider`` and one line here.
    public static func providers(config: AgentConfig, store: any AgentStore) -> [String: any EvidenceProvider] {
        [
            "ingest": IngestProvider(outcomes: store.outcomes),
            "prometheus": PrometheusProvider(source: PrometheusSource(settings: config.prometheus), defaultAddress: config.prometheus.address),
            "http": HTTPJSONProvider(source: HTTPJSONSource(), readings: store.readings),
        ]
    }
}
