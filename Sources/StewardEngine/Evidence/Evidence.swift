import StewardSpec

/// One metric of one version, measured over one window of time.
public struct MetricReading: Sendable {
    public var metric: String
    public var version: SemanticVersion
    public var windowStart: Moment
    public var windowEnd: Moment
    public var statistics: MetricStatistics

    public init(metric: String, version: SemanticVersion, windowStart: Moment, windowEnd: Moment, statistics: MetricStatistics) {
        self.metric = metric
        self.version = version
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.statistics = statistics
    }

    /// A reading of a provider that gives one number per window; with a
    /// standard deviation it is a mean over `samples` requests.
    public init(metric: String, version: SemanticVersion, windowStart: Moment, windowEnd: Moment, value: Double, samples: Int,
                standardDeviation: Double? = nil) {
        let n = Double(samples)
        let statistics: MetricStatistics = if let sd = standardDeviation {
            .mean(count: n, sum: value * n, sumOfSquares: sd * sd * max(0, n - 1) + value * value * n)
        } else {
            .value(value, samples: n)
        }
        self.init(metric: metric, version: version, windowStart: windowStart, windowEnd: windowEnd, statistics: statistics)
    }

    /// The requests measured.
    public var samples: Int { statistics.samples.isFinite ? Int(min(statistics.samples, Double(Int.max / 2))) : 0 }
}

/// What the metric providers measured, as values: the engine does no I/O.
/// Windows of any length; the engine pools those inside the spans it judges
/// (all of the canary's exposure, each span at one weight), so a provider
/// may hand over fine windows or one already pooled per span.
public struct Evidence: Sendable {
    private var windows: [Key: [MetricReading]] = [:]
    /// Keys whose windows were not recorded in order of their end: searched whole.
    private var unordered: Set<Key> = []
    /// Spans pooled so far (see `SpanIndex`); a copy that records a window gets its own.
    private var index = SpanIndex()

    private struct Key: Hashable {
        var metric: String
        var version: SemanticVersion
    }

    /// Metrics of versions whose provider could not be read this round, with
    /// why (the server down, a refused query): inconclusive, never a pass,
    /// whatever else was recorded.
    private var unavailable: [Key: String] = [:]

    /// Each rollout's gates' latest answers (see `GateAnswer`).
    var gateAnswers: [GateKey: GateAnswer] = [:]

    /// What each model's requests cost in the current period of each budget
    /// (the agent sums its outcomes; the engine reads no clock).
    public var spent: [String: [Budget.Period: Double]] = [:]

    public init(_ measurements: [MetricReading] = []) {
        for m in measurements { record(m) }
    }

    /// Records that `metric` of `version` could not be read, and why.
    public mutating func markUnavailable(metric: String, version: SemanticVersion, reason: String) {
        let key = Key(metric: metric, version: version)
        unavailable[key] = unavailable[key] ?? reason
    }

    /// Why `metric` of `version` could not be read this round, if it could not.
    public func unavailable(metric: String, version: SemanticVersion) -> String? {
        unavailable[Key(metric: metric, version: version)]
    }

    /// Adds a window.
    public mutating func record(_ m: MetricReading) {
        let key = Key(metric: m.metric, version: m.version)
        if let last = windows[key]?.last, m.windowEnd < last.windowEnd { unordered.insert(key) }
        windows[key, default: []].append(m)
        if isKnownUniquelyReferenced(&index) {
            index.windowArrived(metric: m.metric, version: m.version, end: m.windowEnd)
        } else {
            index = SpanIndex()
        }
    }

    /// Every window of a metric of a version inside `from...to`, pooled; nil
    /// when there is none, when their kinds differ, or when the latest is not
    /// well formed: a NaN from a provider holds the rollout (inconclusive)
    /// until a good window follows it, and is never pooled. With `asRate`,
    /// windows given as a number and a sample count are read as rates.
    public func pooled(metric: String, version: SemanticVersion, from: Moment, to: Moment, asRate: Bool = false) -> MetricStatistics? {
        span(metric: metric, version: version, from: from, to: to, asRate: asRate).statistics
    }

    /// The well-formed windows of a metric of a version inside `from...to`, one by one.
    public func readings(metric: String, version: SemanticVersion, from: Moment, to: Moment) -> [MetricReading] {
        let key = Key(metric: metric, version: version)
        let all = windows[key] ?? []
        let candidates = unordered.contains(key) ? all[...] : all[SpanIndex.firstEnding(atOrAfter: from, in: all)...]
        return candidates.prefix { unordered.contains(key) || $0.windowEnd <= to }
            .filter { $0.windowStart >= from && $0.windowEnd <= to && $0.statistics.isWellFormed }
    }

    /// The pooled statistics of `pooled`, and whether the latest window inside
    /// `from...to` is not well formed (a NaN, an infinity, more events than trials).
    /// Windows given as one number from fewer than `minimumWindowSamples`
    /// requests are set aside and counted: a p95 of three requests is not a p95.
    public func span(metric: String, version: SemanticVersion, from: Moment, to: Moment, asRate: Bool = false,
                     minimumWindowSamples: Double = 0) -> (statistics: MetricStatistics?, latestMalformed: Bool, setAside: (windows: Int, requests: Double)) {
        let key = Key(metric: metric, version: version)
        if !unordered.contains(key) {
            let question = SpanIndex.Question(metric: metric, version: version, from: from, asRate: asRate, minimumWindowSamples: minimumWindowSamples)
            return index.span(question, to: to, windows: windows[key] ?? []).result
        }
        let inside = (windows[Key(metric: metric, version: version)] ?? []).filter { $0.windowStart >= from && $0.windowEnd <= to }
        guard let last = inside.max(by: { $0.windowEnd < $1.windowEnd }) else { return (nil, false, (0, 0)) }
        guard last.statistics.isWellFormed else { return (nil, true, (0, 0)) }
        func weak(_ s: MetricStatistics) -> Bool {
            if case .windows(_, _, _, let samples) = s { samples < minimumWindowSamples } else { false }
        }
        let wellFormed = inside.lazy.map(\.statistics).filter(\.isWellFormed)
        let weakOnes = wellFormed.filter(weak)
        let setAside = (weakOnes.count, weakOnes.reduce(0) { $0 + $1.samples })
        return (MetricStatistics.pooled(wellFormed.filter { !weak($0) }.map { asRate ? $0.asRate : $0 }), false, setAside)
    }
}
