import StewardSpec

/// A status change a policy's retention or deprecation rules schedule for
/// one version.
public struct LifecycleTransition: Sendable, Hashable, CustomStringConvertible {
    public var model: String
    public var version: SemanticVersion
    public var from: LifecycleStatus
    /// The new status; nil when the version leaves the registry (git keeps it).
    public var to: LifecycleStatus?
    /// When it falls due; a rule on counts is due at once.
    public var due: Moment
    /// The rule, as the policy writes it: `retention.development.maxAge 30d`.
    public var rule: String

    /// `archived`, or `removed`.
    public var toText: String { to?.rawValue ?? "removed" }

    public var description: String { "\(model) \(version) \(from.rawValue) → \(toText) (\(rule))" }

    /// The commit trailer's value: `customer-support-agent 2.2.0 deprecated→archived (deprecation.archiveAfter 90d)`.
    public var trailer: String { "\(model) \(version) \(from.rawValue)→\(toText) (\(rule))" }
}

/// What a policy's retention and deprecation rules retire, and when. Pure:
/// the time comes in as a value.
///
/// - Development, staging and candidate versions past `retention.<status>`'s
///   `maxAge`, or beyond its `maxVersions` (newest kept), are archived.
/// - Production versions beyond `keepProductionVersions` (newest kept, the
///   fast-rollback targets) or past `retention.production` are deprecated.
/// - Deprecated versions are archived `deprecation.archiveAfter` after they
///   were deprecated, or past `retention.deprecated`; never before
///   `deprecation.noticePeriod` has passed since, whatever the rule: the
///   notice is a promise to the people who use them.
/// - Archived versions past `retention.archived` leave the registry (git
///   keeps them), unless a version that stays names one as its parent.
///
/// Age counts from the version's `since` (stamped by the agent at each
/// transition it commits); a development, staging or candidate version
/// without one counts from `created`. A version with no date is never
/// retired by age, and is listed as undated so that people can add one.
/// A version a rollout names, one serving traffic and the newest production
/// versions are never touched.
public enum LifecycleSweep {
    /// What the policies schedule: transitions with their due dates, and
    /// versions whose age rules cannot start for want of a date.
    public struct Schedule: Sendable, Hashable {
        public var transitions: [LifecycleTransition] = []
        /// `customer-support-agent 2.2.0 (deprecated)`.
        public var undated: [String] = []

        public init(transitions: [LifecycleTransition] = [], undated: [String] = []) {
            self.transitions = transitions
            self.undated = undated
        }

        /// The transitions due at `now`.
        public func due(at now: Moment) -> [LifecycleTransition] { transitions.filter { $0.due <= now } }
    }

    /// Every transition the policies schedule, one per version (the
    /// earliest), in model and version order.
    public static func schedule(_ desired: DesiredState, statuses: [String: RolloutStatus], now: Moment) -> Schedule {
        var schedule = Schedule()
        for name in desired.models.keys.sorted() {
            let model = desired.models[name]!
            guard let policy = desired.policy(for: name) else { continue }
            let held = held(model, policy: policy, desired: desired, statuses: statuses)
            for version in model.versions.sorted(by: { $0.version < $1.version }) where !held.contains(version.version) {
                let candidates = rules(for: version, of: model, policy: policy, now: now)
                if let earliest = candidates.transitions.min(by: { $0.due < $1.due }) {
                    schedule.transitions.append(earliest)
                } else if candidates.undated {
                    schedule.undated.append("\(name) \(version.version) (\(version.status.rawValue))")
                }
            }
        }
        return schedule
    }

    /// What one sweep at `now` does: the transitions due, and those they
    /// make due in turn (a version deprecated today may push an older one
    /// past `maxVersions`), so that one commit holds the whole sweep.
    public static func due(_ desired: DesiredState, statuses: [String: RolloutStatus], now: Moment) -> [LifecycleTransition] {
        var state = desired, all: [LifecycleTransition] = []
        let day = UTCDate(secondsSinceEpoch: now.secondsSinceEpoch)
        // Each round moves a version one status on; none moves more than twice.
        for _ in 0..<3 {
            let due = schedule(state, statuses: statuses, now: now).due(at: now)
            guard !due.isEmpty else { break }
            all += due
            for transition in due {
                guard let index = state.models[transition.model]?.versions.firstIndex(where: { $0.version == transition.version }) else { continue }
                guard let to = transition.to else {
                    state.models[transition.model]?.versions.remove(at: index)
                    continue
                }
                state.models[transition.model]?.versions[index].status = to
                state.models[transition.model]?.versions[index].since = day
            }
        }
        return all
    }

    /// The edits that make `transitions`: each version's last new status,
    /// and `since` set to `now`'s day.
    public static func edits(_ transitions: [LifecycleTransition], desired: DesiredState, now: Moment) -> [FieldEdit] {
        var final: [String: LifecycleTransition] = [:], order: [String] = []
        for transition in transitions {
            let key = "\(transition.model) \(transition.version)"
            if final[key] == nil { order.append(key) }
            final[key] = transition
        }
        return order.compactMap { final[$0] }.flatMap { transition -> [FieldEdit] in
            guard let model = desired.models[transition.model], let version = model.version(transition.version) else { return [] }
            guard let to = transition.to else { return [FieldEdit(file: model.source.file, documentIndex: model.source.documentIndex, path: version.path, change: .remove)] }
            return Edits.status(to, of: version, in: model, on: now)
        }
    }

    /// Versions no rule may touch: those a rollout names or serves, the
    /// newest `keepProductionVersions` production versions, and archived
    /// versions another names as its parent (the lineage stays whole).
    static func held(_ model: Model, policy: Policy, desired: DesiredState, statuses: [String: RolloutStatus]) -> Set<SemanticVersion> {
        var held = Set(model.versions.filter { $0.status == .production }.map(\.version).sorted(by: >).prefix(policy.keepProductionVersions))
        held.formUnion(model.versions.compactMap(\.parent).filter { parent in model.version(parent)?.status == .archived })
        for rollout in desired.rollouts.values where rollout.model == model.metadata.name {
            held.insert(rollout.stable)
            if let canary = rollout.canary { held.insert(canary) }
            if case .experiment(let experiment) = rollout.strategy { held.formUnion(experiment.variants.map(\.version)) }
            if let status = statuses[rollout.metadata.name] {
                held.insert(status.stable)
                if let canary = status.canary { held.insert(canary) }
                held.formUnion(status.split.map(\.version))
            }
        }
        return held
    }

    /// The transitions each rule gives a version, and whether an age rule
    /// applied but had no date to count from.
    private static func rules(for version: ModelVersion, of model: Model, policy: Policy, now: Moment)
        -> (transitions: [LifecycleTransition], undated: Bool) {
        let status = version.status
        let next = successor(of: status)
        // A model keeps at least one version: its newest is never removed.
        if next == nil, version.version == model.versions.map(\.version).max() { return ([], false) }
        var transitions: [LifecycleTransition] = []
        var undated = false
        let createdIn = [LifecycleStatus.development, .staging, .candidate].contains(status)
        let anchor = (version.since ?? (createdIn ? version.created.flatMap(UTCDate.init) : nil)).map { Moment(secondsSinceEpoch: $0.secondsSinceEpoch) }
        func add(_ rule: String, due: Moment) {
            transitions.append(LifecycleTransition(model: model.metadata.name, version: version.version, from: status, to: next, due: due, rule: rule))
        }
        func afterAge(_ age: StewardDuration, rule: String) {
            guard let anchor else { undated = true; return }
            add(rule, due: anchor + age.seconds)
        }
        if let retention = policy.retention[status] {
            if let maxAge = retention.maxAge { afterAge(maxAge, rule: "retention.\(status.rawValue).maxAge \(maxAge)") }
            if let maxVersions = retention.maxVersions {
                let newer = model.versions.filter { $0.status == status && $0.version > version.version }.count
                if newer >= maxVersions { add("retention.\(status.rawValue).maxVersions \(maxVersions)", due: now) }
            }
        }
        switch status {
        case .production:
            add("keepProductionVersions \(policy.keepProductionVersions)", due: now)
        case .deprecated:
            if let deprecation = policy.deprecation {
                afterAge(deprecation.archiveAfter, rule: "deprecation.archiveAfter \(deprecation.archiveAfter)")
                // No archive before the notice has run its course.
                guard !transitions.isEmpty else { break }
                guard let anchor else { return ([], true) }
                let noticeEnds = anchor + deprecation.noticePeriod.seconds
                transitions = transitions.map { var t = $0; t.due = max(t.due, noticeEnds); return t }
            }
        default:
            break
        }
        return (transitions, undated && transitions.isEmpty)
    }

    /// Where a version goes when a rule retires it: nil, out of the registry.
    static func successor(of status: LifecycleStatus) -> LifecycleStatus? {
        switch status {
        case .development, .staging, .candidate, .deprecated: .archived
        case .production: .deprecated
        case .archived: nil
        }
    }
}

extension DesiredState {
    /// The policy that governs a model: the first, by name, that selects it.
    public func policy(for model: String) -> Policy? {
        policies.keys.sorted().compactMap { policies[$0] }.first { $0.applies(to: model) }
    }
}
