import StewardSpec
import StewardYAML

/// The status the agent commits as `status/<rollout>.yaml`, and reads back
/// on start, so that a restarted agent (or one on another host) resumes
/// where the last one stopped. Everything the planner needs is in it; its
/// shape is `RolloutStatus`'s `Codable` one. Times are seconds since the epoch.
public enum StatusFile {
    public static let kind = Resource.observedStatusKind

    /// The file as a value: a resource like the others, whose `status` is the rollout's.
    struct Document: Codable {
        struct Metadata: Codable { var name: String }
        var apiVersion: String
        var kind: String
        var metadata: Metadata
        var status: RolloutStatus
    }

    /// The YAML text for one rollout's status.
    public static func encode(_ status: RolloutStatus, rollout: String) throws -> String {
        let document = Document(apiVersion: Resource.apiVersion, kind: kind, metadata: .init(name: rollout), status: status)
        return "# Written by the Steward agent; edits here are overwritten.\n" + (try YAMLEncoder().encode(document))
    }

    /// Reads a status file; problems are reported to `bag` with their place.
    public static func decode(_ bytes: [UInt8], file: String, bag: DiagnosticBag) -> (rollout: String, status: RolloutStatus)? {
        guard let reader = NodeReader.singleDocument(bytes, file: file, bag: bag),
              let document = YAMLDecoder().decode(Document.self, from: reader) else { return nil }
        guard document.kind == kind else {
            reader.error("wrong-kind", "kind must be \(kind), found '\(document.kind)'")
            return nil
        }
        return (document.metadata.name, document.status)
    }
}
