import StewardSpec

/// One metric of one version, measured over one window.
public struct MetricReading: Sendable, Hashable {
    public var metric: String
    public var version: SemanticVersion
    public var windowStart: Moment
    public var windowEnd: Moment
    public var value: Double
    public var samples: Int
    /// The samples' standard deviation, for continuous metrics in experiments.
    public var standardDeviation: Double?

    public init(metric: String, version: SemanticVersion, windowStart: Moment, windowEnd: Moment, value: Double, samples: Int,
                standardDeviation: Double? = nil) {
        self.metric = metric
        self.version = version
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.value = value
        self.samples = samples
        self.standardDeviation = standardDeviation
    }
}

/// What the metric providers measured, as values: the engine does no I/O.
public struct Evidence: Sendable {
    private var latestByKey: [Key: MetricReading] = [:]

    private struct Key: Hashable {
        var metric: String
        var version: SemanticVersion
    }

    /// Evidence holding the latest window of each metric of each version among `measurements`.
    public init(_ measurements: [MetricReading] = []) {
        for m in measurements { record(m) }
    }

    /// Adds a measurement; the one with the latest window wins.
    public mutating func record(_ m: MetricReading) {
        let key = Key(metric: m.metric, version: m.version)
        if let existing = latestByKey[key], existing.windowEnd > m.windowEnd { return }
        latestByKey[key] = m
    }

    /// The latest window measured for a metric of a version.
    public func latest(metric: String, version: SemanticVersion) -> MetricReading? {
        latestByKey[Key(metric: metric, version: version)]
    }
}
