import Foundation
import StewardEngine
import StewardSpec

/// What a provider is asked for: one metric of one version of a model over
/// a span of time, in windows of the metric's interval.
public struct MetricQuery: Sendable, Hashable {
    public var metric: String
    public var model: String
    public var version: SemanticVersion
    public var from: Moment
    public var to: Moment
    /// The metric's interval, in seconds: the length of each window.
    public var interval: Double

    public init(metric: String, model: String, version: SemanticVersion, from: Moment, to: Moment, interval: Double) {
        self.metric = metric
        self.model = model
        self.version = version
        self.from = from
        self.to = to
        self.interval = interval
    }

    /// A query text with `{{version}}`, `{{model}}` and `{{window}}` filled in
    /// (the window as a Prometheus duration, whole seconds: `60s`).
    public func render(_ template: String) -> String {
        template.replacingOccurrences(of: "{{version}}", with: version.description)
            .replacingOccurrences(of: "{{model}}", with: model)
            .replacingOccurrences(of: "{{window}}", with: "\(max(1, Int(interval.rounded())))s")
    }
}

/// Why a provider gave no evidence: the metric is inconclusive, never a
/// pass, and this is the reason the status shows.
public struct ProviderFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    /// The server itself failed (down, slow, no token), not one query: the
    /// agent does not ask it again this round.
    public var isServerFailure: Bool
    public init(_ reason: String, serverFailure: Bool = false) {
        self.reason = reason
        isServerFailure = serverFailure
    }
    public var description: String { reason }
}
