/// The agent's defaults for the Prometheus provider (`prometheus:` in its config).
public struct PrometheusSettings: Sendable, Hashable {
    /// The server a metric without an `address` of its own queries.
    public var address: String?
    /// A file holding a bearer token for the server, read on every query (so it can be rotated).
    public var bearerTokenFile: String?
    /// How long one query may take before the metric is inconclusive.
    public var timeout: Double

    public init(address: String? = nil, bearerTokenFile: String? = nil, timeout: Double = 10) {
        self.address = address
        self.bearerTokenFile = bearerTokenFile
        self.timeout = timeout
    }
}
