import StewardSpec
import StewardYAML

/// A surgical change to one field of the desired state, as the agent will
/// commit it: the file's other bytes, comments included, stay as they are.
public struct FieldEdit: Sendable, Hashable, CustomStringConvertible {
    /// A new value for the field, or its removal.
    public enum Change: Sendable, Hashable {
        /// Replaces the field's value; the field must be there.
        case set(String)
        /// Sets the field, adding it to its mapping when it is not there.
        case put(String)
        case remove
    }

    public var file: String
    public var documentIndex: Int
    public var path: FieldPath
    public var change: Change

    public init(file: String, documentIndex: Int, path: FieldPath, change: Change) {
        self.file = file
        self.documentIndex = documentIndex
        self.path = path
        self.change = change
    }

    init(_ source: ResourceSource, _ path: FieldPath, _ change: Change) {
        self.init(file: source.file, documentIndex: source.documentIndex, path: path, change: change)
    }

    public var description: String {
        switch change {
        case .set(let value), .put(let value): "\(file): \(path) = \(value)"
        case .remove: "\(file): remove \(path)"
        }
    }
}

/// The edits behind promotions and aborts, derived from the desired state.
public enum Edits {
    /// `stable` becomes `version`, the canary is cleared, the version's
    /// status becomes production, and production versions beyond the
    /// policy's `keepProductionVersions` (newest kept) become deprecated.
    /// `on`, when given, is stamped as each changed version's `since`.
    public static func promotion(of version: SemanticVersion, in rollout: Rollout, desired: DesiredState, on day: Moment? = nil) -> [FieldEdit] {
        var edits = [FieldEdit(rollout.source, ["spec", "stable"], .set(version.description))]
        if rollout.canary != nil { edits.append(FieldEdit(rollout.source, ["spec", "canary"], .remove)) }
        guard let model = desired.models[rollout.model] else { return edits }
        let keep = desired.policy(for: model.metadata.name)?.keepProductionVersions ?? 2
        var production = model.versions.filter { $0.status == .production && $0.version != version }
            .sorted { $0.version > $1.version }
        if let promoted = model.version(version) {
            if promoted.status != .production { edits += status(.production, of: promoted, in: model, on: day) }
            production.insert(promoted, at: 0)
        }
        for retired in production.dropFirst(keep) {
            edits += status(.deprecated, of: retired, in: model, on: day)
        }
        return edits
    }

    /// A version's new status, with `since` stamped as `day`'s date when given.
    public static func status(_ status: LifecycleStatus, of version: ModelVersion, in model: Model, on day: Moment?) -> [FieldEdit] {
        var edits = [FieldEdit(model.source, version.path.appending("status"), .set(status.rawValue))]
        if let day { edits.append(FieldEdit(model.source, version.path.appending("since"), .put(String(day.utcText.prefix(10))))) }
        return edits
    }

    /// Clears the canary: what `abort` mode commits, and what `revert` mode
    /// falls back to when the revert does not apply cleanly.
    public static func clearCanary(_ rollout: Rollout) -> [FieldEdit] {
        rollout.canary == nil ? [] : [FieldEdit(rollout.source, ["spec", "canary"], .remove)]
    }
}
