import StewardSpec

/// A new version of a model on a newer base model, proposed as a branch.
public struct UpgradeProposal: Sendable, Hashable {
    public var model: String
    /// The rollout whose canary the new version becomes, if the model has one.
    public var rollout: String?
    /// The version it is built from (its parent): the rollout's stable, or the newest production version.
    public var parent: SemanticVersion
    public var version: SemanticVersion
    public var baseModel: String
    public var previousBaseModel: String
    /// The source that listed the base model.
    public var source: String
    /// Why this base model: `newest by release date among gpt-*-mini`.
    public var rule: String

    /// `steward/upgrade/customer-support-agent-2.5.0`: one branch per candidate version.
    public var branch: String { "steward/upgrade/\(model)-\(version)" }
}

/// A version, and the rollouts running it, whose base model retires soon or has retired.
public struct RetirementWarning: Sendable, Hashable, CustomStringConvertible {
    public var model: String
    public var version: SemanticVersion
    public var retirement: Retirement
    public var rollouts: [String]
    public var daysLeft: Int

    public var description: String {
        let when = daysLeft > 0 ? "retires on \(retirement.retirement) (in \(daysLeft) day\(daysLeft == 1 ? "" : "s"))" : "retired on \(retirement.retirement)"
        let used = rollouts.isEmpty ? "" : "; Rollout \(rollouts.joined(separator: ", ")) runs it"
        let next = retirement.successor.map { "; successor \($0)" } ?? ""
        return "\(model) \(version): \(retirement.baseModel) \(when), catalog \(retirement.source)\(used)\(next)"
    }
}

extension Retirement {
    fileprivate var retirement: String { date.dayText }
}

/// What a look at the model sources finds: pure, with the listings fetched
/// by the caller (a source that could not be read is given as its reason).
public enum UpgradePlanner {
    /// The result of one check.
    public struct Check: Sendable, Hashable {
        public var proposals: [UpgradeProposal] = []
        /// Models that track upgrades but get no proposal, and why.
        public var quiet: [String] = []
        /// Sources that could not be read, and why: never a guess.
        public var problems: [String] = []
    }

    /// - Parameter listings: each model-list source's base models by its
    ///   name, or why it could not be read; catalogs come from the policies.
    public static func check(_ desired: DesiredState, listings: [String: Result<[CatalogEntry], SourceProblem>], now: Moment) -> Check {
        var check = Check()
        let today = UTCDate(secondsSinceEpoch: now.secondsSinceEpoch)
        for name in desired.models.keys.sorted() {
            let model = desired.models[name]!
            guard let tracking = model.upgrades, let policy = desired.policy(for: name), let upgrades = policy.upgrades else { continue }
            var entries: [(source: String, entry: CatalogEntry)] = []
            for source in upgrades.sources where tracking.sources.isEmpty || tracking.sources.contains(source.name) {
                switch source.kind {
                case .catalog(let list): entries += list.map { (source.name, $0) }
                case .modelList:
                    switch listings[source.name] {
                    case .success(let list)?: entries += list.map { (source.name, $0) }
                    case .failure(let problem)?: check.problems.append("\(name): source \(source.name): \(problem.text)")
                    case nil: check.problems.append("\(name): source \(source.name) was not read")
                    }
                }
            }
            switch propose(model, tracking, entries: entries, desired: desired, today: today) {
            case .success(let proposal): check.proposals.append(proposal)
            case .failure(let why): check.quiet.append("\(name): \(why.text)")
            }
        }
        return check
    }

    /// Why a source could not be read, or why a model gets no proposal.
    public struct SourceProblem: Error, Sendable, Hashable {
        public var text: String
        public init(_ text: String) { self.text = text }
    }

    private static func propose(_ model: Model, _ tracking: UpgradeTracking, entries: [(source: String, entry: CatalogEntry)],
                                desired: DesiredState, today: UTCDate) -> Result<UpgradeProposal, SourceProblem> {
        let name = model.metadata.name
        let rollout = desired.rollouts.values.filter { $0.model == name }.min { $0.metadata.name < $1.metadata.name }
        let production = model.versions.filter { $0.status == .production }.max { $0.version < $1.version }
        guard let current = rollout.flatMap({ model.version($0.stable) }) ?? production else { return .failure(.init("no production version to build on")) }
        if let rollout, let canary = rollout.canary {
            return .failure(.init("Rollout \(rollout.metadata.name) is running canary \(canary); no proposal until it finishes"))
        }
        let inRegistry = Set(model.versions.map(\.baseModel))
        let released = { (base: String) in entries.compactMap { $0.entry.name == base ? $0.entry.released : nil }.max() }
        let currentRelease = released(current.baseModel)
        let live = entries.filter { item in
            !inRegistry.contains(item.entry.name) && !(item.entry.retires.map { $0 <= today } ?? false)
        }
        let pattern = tracking.track.joined(separator: ", ")
        var chosen: (source: String, entry: CatalogEntry, rule: String)?
        switch tracking.pick {
        case .newest:
            let newer = live.filter { item in
                guard tracking.follows(item.entry.name), let date = item.entry.released else { return false }
                return currentRelease.map { date > $0 } ?? true
            }
            if let best = newer.max(by: { ($0.entry.released!, $0.entry.name) < ($1.entry.released!, $1.entry.name) }) {
                chosen = (best.source, best.entry, "newest by release date among \(pattern)")
            }
        case .semver:
            let mine = versionNumbers(current.baseModel)
            let newer = live.filter { tracking.follows($0.entry.name) && versionNumbers($0.entry.name).lexicographicallyPrecedes(mine) == false
                                      && versionNumbers($0.entry.name) != mine }
            if let best = newer.max(by: { versionNumbers($0.entry.name).lexicographicallyPrecedes(versionNumbers($1.entry.name)) }) {
                chosen = (best.source, best.entry, "highest version in the name among \(pattern)")
            }
        }
        // A retiring base model with a named successor is proposed even when the rule finds nothing newer.
        if chosen == nil, let retiring = desired.retirement(of: current.baseModel), let successor = retiring.successor,
           !inRegistry.contains(successor), !tracking.ignore.contains(where: { UpgradeTracking.glob($0, matches: successor) }) {
            chosen = (retiring.source, CatalogEntry(name: successor), "successor of \(current.baseModel), which retires on \(retiring.date.dayText)")
        }
        guard let chosen else { return .failure(.init("nothing newer than \(current.baseModel) among \(pattern)")) }
        var version = SemanticVersion(current.version.major, current.version.minor + 1, 0)
        while model.version(version) != nil { version = SemanticVersion(version.major, version.minor + 1, 0) }
        return .success(UpgradeProposal(model: name, rollout: rollout?.metadata.name, parent: current.version, version: version,
                                        baseModel: chosen.entry.name, previousBaseModel: current.baseModel, source: chosen.source, rule: chosen.rule))
    }

    /// The numbers in a base model's name, in order: `gpt-5.1-mini` → [5, 1].
    static func versionNumbers(_ name: String) -> [Int] {
        var numbers: [Int] = [], digits = ""
        for character in name + " " {
            if character.isASCII, character.isNumber { digits.append(character) } else if !digits.isEmpty {
                numbers.append(Int(digits) ?? 0)
                digits = ""
            }
        }
        return numbers
    }

    /// Every version that serves or may serve (not archived) whose base
    /// model retires within `notice` of `now`, or has retired.
    public static func retirements(_ desired: DesiredState, now: Moment) -> [RetirementWarning] {
        var warnings: [RetirementWarning] = []
        for name in desired.models.keys.sorted() {
            let model = desired.models[name]!
            let notice = desired.policy(for: name)?.upgrades?.retirementNotice.seconds ?? 30 * 86_400
            for version in model.versions where version.status != .archived {
                guard let retirement = desired.retirement(of: version.baseModel),
                      retirement.date.secondsSinceEpoch - now.secondsSinceEpoch <= notice else { continue }
                let rollouts = desired.rollouts.values.filter { $0.model == name && ($0.stable == version.version || $0.canary == version.version) }
                    .map(\.metadata.name).sorted()
                let days = Int(((retirement.date.secondsSinceEpoch - now.secondsSinceEpoch) / 86_400).rounded(.up))
                warnings.append(RetirementWarning(model: name, version: version.version, retirement: retirement, rollouts: rollouts, daysLeft: max(0, days)))
            }
        }
        return warnings
    }
}
