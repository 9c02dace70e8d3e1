import StewardYAML

/// `kind: Policy` — retention, deprecation, budgets, change windows and
/// who may sign commits, for the models it selects.
public struct Policy: Sendable {
    public var metadata: Metadata
    public var source: ResourceSource
    /// Model names this policy applies to; `*` selects every model.
    public var models: [String]
    public var retention: [LifecycleStatus: RetentionRule]
    /// Production versions kept (current included) as fast-rollback targets.
    public var keepProductionVersions: Int
    public var deprecation: Deprecation?
    public var budgets: [Budget]
    public var changeWindows: [ChangeWindow]
    public var allowedSigners: [String]
    /// Where base models come from, for upgrade proposals and retirement warnings.
    public var upgrades: UpgradeSources?

    static let fields = ["models", "retention", "keepProductionVersions", "deprecation", "budgets", "changeWindows", "allowedSigners", "upgrades"]

    init?(spec r: NodeReader, metadata: Metadata, source: ResourceSource) {
        guard let m = r.mapping(fields: Self.fields) else { return nil }
        models = m.optional("models")?.strings() ?? ["*"]
        var retention: [LifecycleStatus: RetentionRule] = [:]
        if let retentionReader = m.optional("retention"),
           let rules = retentionReader.mapping(fields: LifecycleStatus.allCases.map(\.rawValue)) {
            for status in LifecycleStatus.allCases {
                retention[status] = rules.optional(status.rawValue).flatMap(RetentionRule.init(reading:))
            }
        }
        self.retention = retention
        keepProductionVersions = m.optional("keepProductionVersions")?.int(in: 1...100) ?? 2
        deprecation = m.optional("deprecation").flatMap(Deprecation.init(reading:))
        budgets = m.optional("budgets")?.list(Budget.init(reading:)) ?? []
        upgrades = m.optional("upgrades").flatMap(UpgradeSources.init(reading:))
        changeWindows = m.optional("changeWindows")?.list(ChangeWindow.init(reading:)) ?? []
        allowedSigners = m.optional("allowedSigners")?.strings() ?? []
        self.metadata = metadata
        self.source = source
    }

    /// Whether the policy selects the model with this name.
    public func applies(to model: String) -> Bool { models.contains("*") || models.contains(model) }
}

/// How long versions of one status are kept, and how many.
public struct RetentionRule: Sendable, Hashable {
    public var maxAge: StewardDuration?
    public var maxVersions: Int?

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["maxAge", "maxVersions"]) else { return nil }
        maxAge = m.optional("maxAge")?.duration()
        maxVersions = m.optional("maxVersions")?.int(in: 1...100_000)
    }
}

/// How a version leaves production: notice first, archive later.
public struct Deprecation: Sendable, Hashable {
    public var noticePeriod: StewardDuration
    public var archiveAfter: StewardDuration

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["noticePeriod", "archiveAfter"]) else { return nil }
        let notice = m.required("noticePeriod")?.duration()
        let archive = m.required("archiveAfter")?.duration()
        guard let notice, let archive else { return nil }
        if archive < notice {
            m.required("archiveAfter")?.error("impossible-timeline", "archiveAfter (\(archive)) must not be shorter than noticePeriod (\(notice))")
        }
        noticePeriod = notice
        archiveAfter = archive
    }
}

/// A cost ceiling for one period.
public struct Budget: Sendable, Hashable {
    public enum Period: String, Sendable, CaseIterable { case day, week, month }
    /// What reaching `maxCost` does: a warning, or no traffic moved toward a
    /// canary costlier per request than stable (rollbacks still go through).
    public enum Action: String, Sendable, CaseIterable { case alert, hold }

    public var period: Period
    public var maxCost: Double
    public var currency: String
    /// The share of `maxCost` at which a warning is given.
    public var warnAt: Double
    public var action: Action

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["period", "maxCost", "currency", "warnAt", "action"]) else { return nil }
        currency = m.optional("currency")?.string() ?? "USD"
        warnAt = m.optional("warnAt")?.number(in: 0.01...1) ?? 0.8
        action = m.optional("action")?.oneOf(Action.self) ?? .alert
        let period = m.required("period")?.oneOf(Period.self)
        let maxCost = m.required("maxCost")?.number(in: 0.000001...Double.greatestFiniteMagnitude)
        guard let period, let maxCost else { return nil }
        self.period = period
        self.maxCost = maxCost
    }
}

/// When the agent may move traffic forward. Rollbacks are always allowed.
public struct ChangeWindow: Sendable, Hashable {
    public enum Day: String, Sendable, CaseIterable { case mon, tue, wed, thu, fri, sat, sun }

    public var days: [Day]
    /// Minutes after midnight.
    public var start: Int
    public var end: Int
    public var timeZone: String
    /// A window when traffic must not move forward (a freeze), whatever the
    /// other windows allow: deny beats allow.
    public var deny: Bool

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["days", "start", "end", "timeZone", "deny"]) else { return nil }
        timeZone = m.optional("timeZone")?.string() ?? "UTC"
        deny = m.optional("deny")?.bool() ?? false
        let days = m.required("days")?.list { $0.oneOf(Day.self) }
        let start = m.required("start").flatMap(Self.clockTime)
        let end = m.required("end").flatMap(Self.clockTime)
        guard let days, let start, let end else { return nil }
        if end <= start {
            m.required("end")?.error("impossible-window", "end must be later than start in the same day")
        }
        self.days = days
        self.start = start
        self.end = end
    }

    /// `HH:MM` (24-hour) as minutes after midnight.
    private static func clockTime(_ r: NodeReader) -> Int? {
        guard let text = r.string() else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, parts.allSatisfy({ $0.count == 2 }),
           let hours = Int(parts[0]), let minutes = Int(parts[1]),
           (0...24).contains(hours), (0...59).contains(minutes), hours * 60 + minutes <= 1440 {
            return hours * 60 + minutes
        }
        r.error("invalid-time", "\(r.fieldName): '\(text)' is not a time of day; write HH:MM, e.g. 09:00")
        return nil
    }
}
