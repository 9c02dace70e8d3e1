import StewardYAML

/// `kind: AnalysisTemplate` — the metrics that judge a canary, and what
/// makes each one fail.
public struct AnalysisTemplate: Sendable {
    public var metadata: Metadata
    public var source: ResourceSource
    public var metrics: [MetricSpec]
    /// How sure the evidence must be before a metric fails (and a critical
    /// one rolls back): the chance that a healthy canary is ever rolled back,
    /// however often the agent looks, stays within 1 − confidence, split
    /// across the critical metrics.
    public var confidence: Double
    /// How sure the evidence must be before a metric passes and lets traffic
    /// move one step forward; lower than `confidence` because a pass only
    /// widens the canary while its failures are still watched.
    public var passConfidence: Double

    init?(spec r: NodeReader, metadata: Metadata, source: ResourceSource) {
        guard let m = r.mapping(fields: ["metrics", "confidence", "passConfidence"]) else { return nil }
        confidence = m.optional("confidence")?.number(in: 0.5...0.999999) ?? 0.99
        passConfidence = m.optional("passConfidence")?.number(in: 0.5...0.999999) ?? 0.9
        guard let metricsReader = m.required("metrics"),
              let metrics = metricsReader.list(MetricSpec.init(reading:)) else { return nil }
        if metricsReader.node.items?.isEmpty == true {
            metricsReader.error("empty-list", "an analysis template needs at least one metric")
        }
        self.metrics = metrics
        self.metadata = metadata
        self.source = source
    }
}

/// One metric: where its value comes from, when it fails, and how much
/// evidence a verdict needs.
public struct MetricSpec: Sendable {
    public enum Severity: String, Sendable, CaseIterable, Codable {
        /// A failure rolls the canary back.
        case critical
        /// A failure raises an alert; the rollout goes on.
        case warning
    }

    /// How failures add up to the failure limit.
    public enum FailureCounting: String, Sendable, CaseIterable {
        /// Only failures in a row count; a pass resets the count.
        case consecutive
        /// Every failure since the start of the rollout counts.
        case cumulative
    }

    /// What a critical metric does to traffic.
    public enum Role: String, Sendable, CaseIterable {
        /// Traffic moves forward only once it has passed.
        case gate
        /// It rolls back on evidence of a regression but does not hold
        /// traffic while inconclusive: for events too rare to pass at a
        /// small weight (one safety violation an hour at 5% of the traffic).
        case `guard`
    }

    public var name: String
    public var provider: MetricProvider
    public var failWhen: FailCondition
    /// Fewer samples than this, pooled over the canary's exposure, make the
    /// metric inconclusive whatever the interval says.
    public var minSamples: Int
    public var interval: StewardDuration
    public var failureLimit: Int
    public var failureCounting: FailureCounting
    public var severity: Severity
    public var role: Role
    public var path: FieldPath

    static let fields = ["name", "provider", "failWhen", "minSamples", "interval", "failureLimit", "failureCounting", "severity", "role"]

    /// The ingest measure it reads, if its provider is the built-in ingest.
    public var ingestMeasure: IngestMeasure? {
        if case .ingest(let measure) = provider { measure } else { nil }
    }

    /// Whether its windows are rates (events among trials), as a rate measure's are.
    public var readsRates: Bool { ingestMeasure?.isRate ?? false }

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: Self.fields) else { return nil }
        path = r.path
        minSamples = m.optional("minSamples")?.int(in: 1...Int.max) ?? 100
        interval = m.optional("interval")?.duration() ?? StewardDuration(seconds: 60)
        failureLimit = m.optional("failureLimit")?.int(in: 1...10_000) ?? 1
        failureCounting = m.optional("failureCounting")?.oneOf(FailureCounting.self) ?? .consecutive
        role = m.optional("role")?.oneOf(Role.self) ?? .gate
        let name = m.required("name")?.resourceName()
        let provider = m.required("provider").flatMap(MetricProvider.init(reading:))
        let failWhen = m.required("failWhen").flatMap(FailCondition.init(reading:))
        let severity = m.required("severity")?.oneOf(Severity.self)
        guard let name, let provider, let failWhen, let severity else { return nil }
        self.name = name
        self.provider = provider
        self.failWhen = failWhen
        self.severity = severity
    }
}

/// Where a metric's measurements come from.
public enum MetricProvider: Sendable {
    /// Request outcomes that gateways post to the agent's ingest endpoint.
    case ingest(measure: IngestMeasure)
    /// A PromQL query for one number per window; `{{version}}`, `{{model}}`
    /// and `{{window}}` (the metric's interval) are filled in. `samples`, a
    /// query of the same form, counts the requests behind each window;
    /// without it each window counts as one sample. The address defaults to
    /// the agent's `prometheus.address`.
    case prometheus(address: String?, query: String, samples: String?)
    /// An HTTP endpoint answering JSON, asked once per interval; `jsonPath`
    /// picks the number and `samplesPath` (optional) the requests behind it;
    /// `{{version}}`, `{{model}}` and `{{window}}` in the URL are filled in.
    case http(url: String, jsonPath: JSONPath, samplesPath: JSONPath?)
    /// A provider the agent was given under `name` (its own code, registered
    /// where the agent is built), with `settings` passed through as they are
    /// written: plain values only, checked by the provider when it reads.
    /// An agent without such a provider makes the metric inconclusive, saying why.
    case plugin(name: String, settings: [String: String])

    /// The providers every agent has.
    public static let builtIn = ["ingest", "prometheus", "http"]

    init?(reading r: NodeReader) {
        let kinds = Self.builtIn + ["plugin"]
        guard let m = r.mapping(fields: kinds) else { return nil }
        let chosen = kinds.filter { m.reader.node[$0] != nil }
        guard chosen.count == 1, let body = m.required(chosen[0]) else {
            r.error("provider-choice", "provider must have exactly one of ingest, prometheus, http or plugin")
            return nil
        }
        switch chosen[0] {
        case "plugin":
            guard let p = body.mapping(fields: ["name", "settings"]), let nameReader = p.required("name"), let name = nameReader.resourceName() else { return nil }
            if Self.builtIn.contains(name) {
                nameReader.error("reserved-name", "\(name) is a built-in provider: write provider: {\(name): …} instead of a plugin")
                return nil
            }
            var settings: [String: String] = [:]
            for (key, value) in p.optional("settings")?.entries() ?? [] {
                guard let text = value.string() else { return nil }
                settings[key] = text
            }
            self = .plugin(name: name, settings: settings)
        case "ingest":
            guard let measure = body.mapping(fields: ["measure"])?.required("measure")?.oneOf(IngestMeasure.self) else { return nil }
            self = .ingest(measure: measure)
        case "prometheus":
            guard let p = body.mapping(fields: ["address", "query", "samples"]) else { return nil }
            let address = p.optional("address")?.string()
            if let address, !(address.hasPrefix("http://") || address.hasPrefix("https://")) {
                p.optional("address")?.error("invalid-url", "address must be an http:// or https:// URL, e.g. http://prometheus:9090")
            }
            guard let queryReader = p.required("query"), let query = queryReader.string() else { return nil }
            let samplesReader = p.optional("samples"), samples = samplesReader?.string()
            for (field, reader, text) in [("query", queryReader, query)] + (samplesReader.map { [("samples", $0, samples ?? "{{version}}")] } ?? [])
            where !text.contains("{{version}}") {
                reader.error("query-not-per-version", "\(field) must contain {{version}} so that each version is measured on its own")
            }
            self = .prometheus(address: address, query: query, samples: samples)
        default:
            guard let h = body.mapping(fields: ["url", "jsonPath", "samplesPath"]) else { return nil }
            let urlReader = h.required("url"), url = urlReader?.string()
            if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                urlReader?.error("invalid-url", "url must be an http:// or https:// URL")
            } else if let url, !url.contains("{{version}}") {
                urlReader?.error("query-not-per-version", "url must contain {{version}} so that each version is measured on its own")
            }
            func path(_ field: String, _ reader: NodeReader?) -> JSONPath? {
                guard let reader, let text = reader.string() else { return nil }
                var problem: String?
                guard let path = JSONPath(text, problem: &problem) else {
                    reader.error("invalid-json-path", "\(field): \(problem ?? "not a path"); write e.g. $.data.errorRate")
                    return nil
                }
                return path
            }
            let jsonPath = path("jsonPath", h.required("jsonPath"))
            let samplesReader = h.optional("samplesPath"), samplesPath = path("samplesPath", samplesReader)
            guard let url, let jsonPath, samplesReader == nil || samplesPath != nil else { return nil }
            self = .http(url: url, jsonPath: jsonPath, samplesPath: samplesPath)
        }
    }
}

/// What the built-in ingest store can measure, per version per window.
public enum IngestMeasure: String, Sendable, CaseIterable {
    case errorRate, latencyP50, latencyP95, latencyP99, rating, hallucinationRate,
         safetyViolations, costPerRequest, tokensPerRequest

    /// The quantile a latency measure reads, or nil.
    public var quantile: Double? {
        switch self {
        case .latencyP50: 0.5
        case .latencyP95: 0.95
        case .latencyP99: 0.99
        default: nil
        }
    }

    /// Whether its samples are the requests a version served (not a subset,
    /// such as the rated ones): what the health checks count traffic by.
    public var countsEveryRequest: Bool {
        switch self {
        case .errorRate, .latencyP50, .latencyP95, .latencyP99, .costPerRequest, .tokensPerRequest: true
        case .rating, .hallucinationRate, .safetyViolations: false
        }
    }

    /// Whether the measure counts events among requests (so its evidence is
    /// a rate, judged exactly even with few events).
    public var isRate: Bool { self == .errorRate || self == .hallucinationRate || self == .safetyViolations }

    /// The values the measure can take; a threshold outside them can never be crossed.
    public var possibleValues: ClosedRange<Double> {
        switch self {
        case .errorRate, .hallucinationRate, .safetyViolations: 0...1
        case .rating: 1...5
        default: 0...Double.greatestFiniteMagnitude
        }
    }
}

/// When a metric fails: its value above or below a threshold, either as is
/// or as a ratio to the stable version measured over the same window.
public struct FailCondition: Sendable {
    public enum Comparison: String, Sendable, Codable, CaseIterable { case above, below }
    public enum Baseline: String, Sendable, CaseIterable {
        /// The stable version, measured over the same window.
        case stable
    }

    public var comparison: Comparison
    public var threshold: Double
    /// When set, the threshold is a factor of this version's value.
    public var relativeTo: Baseline?
    public var path: FieldPath

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["above", "below", "relativeTo"]) else { return nil }
        path = r.path
        relativeTo = m.optional("relativeTo")?.oneOf(Baseline.self)
        let chosen = ["above", "below"].filter { m.reader.node[$0] != nil }
        guard chosen.count == 1, let threshold = m.required(chosen[0])?.number() else {
            if chosen.count != 1 { r.error("condition-choice", "failWhen must have exactly one of above or below") }
            return nil
        }
        self.comparison = chosen[0] == "above" ? .above : .below
        self.threshold = threshold
    }
}
