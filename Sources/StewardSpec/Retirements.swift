import StewardYAML

/// A base model's announced retirement, as a catalog writes it.
public struct Retirement: Sendable, Hashable {
    public var baseModel: String
    public var date: UTCDate
    /// The catalog (a Policy's upgrade source) that says so.
    public var source: String
    public var successor: String?
}

extension DesiredState {
    /// Every entry of the catalogs the policies write, with its source's name.
    public var catalogEntries: [(source: String, entry: CatalogEntry)] {
        policies.keys.sorted().compactMap { policies[$0]?.upgrades }.flatMap { upgrades in
            upgrades.sources.flatMap { source -> [(source: String, entry: CatalogEntry)] in
                guard case .catalog(let entries) = source.kind else { return [] }
                return entries.map { (source.name, $0) }
            }
        }
    }

    /// When a base model retires: the earliest date any catalog gives.
    public func retirement(of baseModel: String) -> Retirement? {
        catalogEntries.compactMap { item -> Retirement? in
            guard item.entry.name == baseModel, let date = item.entry.retires else { return nil }
            return Retirement(baseModel: baseModel, date: date, source: item.source, successor: item.entry.successor)
        }.min { $0.date < $1.date }
    }

    /// `steward validate`'s check against the calendar: a rollout may not
    /// make a version the canary when its base model has retired by
    /// `today` (the provider no longer serves it). Apart from loading, so
    /// that the agent never refuses a tip for the date alone.
    public func retiredCanaries(at today: UTCDate) -> [Diagnostic] {
        rollouts.keys.sorted().compactMap { name -> Diagnostic? in
            guard let rollout = rollouts[name], let canary = rollout.canary,
                  let version = models[rollout.model]?.version(canary),
                  let retired = retirement(of: version.baseModel), retired.date <= today else { return nil }
            let instead = retired.successor.map { "; propose a version on its successor, \($0)" } ?? ""
            return rollout.source.diagnostic(.error, "retired-base-model",
                "canary \(canary) runs on \(version.baseModel), which retired on \(retired.date.dayText) (catalog \(retired.source))\(instead)",
                at: ["spec", "canary"])
        }
    }
}
