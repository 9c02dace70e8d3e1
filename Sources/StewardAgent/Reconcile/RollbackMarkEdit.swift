import StewardSpec
import StewardYAML

/// What a rollback writes into the registry besides clearing the canary:
/// `rolledBack: {at, reason, commit}` on the version it rolled back, so that
/// `validate` refuses to make it the canary again, and the rollout's `retry`
/// taken off (a retry is good for one attempt). Written into the same
/// commit as the revert or the edit, found by content in the bytes that
/// commit holds (a revert may have moved things).
struct RollbackMarkEdit {
    let model: String
    let version: SemanticVersion
    let rollout: String
    let mark: RollbackMark

    /// New bytes for the files that change, each read through `read` (nil:
    /// no such file) and rewritten in turn, so that the model and the rollout
    /// may share a file. A version no longer in the registry (the revert
    /// removed it) gets no mark.
    func files(_ paths: [String], read: (String) throws -> [UInt8]?) throws -> [String: [UInt8]] {
        var written: [String: [UInt8]] = [:]
        for path in Set(paths) {
            guard var bytes = try read(path) else { continue }
            let original = bytes
            for field in RollbackMark.fields {
                guard let value = field == "at" ? mark.at : field == "reason" ? mark.reason : mark.commit,
                      let place = try locate(in: bytes, file: path, kind: "Model", name: model, version: version) else { continue }
                bytes = try TextEdit.apply([try place.editor.setEntry(field, to: value, inMapping: place.path.appending("rolledBack"),
                                                                      inDocument: place.document)], to: bytes)
            }
            if let place = try locate(in: bytes, file: path, kind: "Rollout", name: rollout, version: nil),
               place.editor.documents[place.document].root?.node(at: ["spec", "retry"]) != nil {
                bytes = try TextEdit.apply([try place.editor.removeEntry(at: ["spec", "retry"], inDocument: place.document)], to: bytes)
            }
            if bytes != original { written[path] = bytes }
        }
        return written
    }

    /// The document of `kind` named `name` in a file, and with a version, its
    /// entry under `spec.versions`.
    private func locate(in bytes: [UInt8], file: String, kind: String, name: String, version: SemanticVersion?) throws
        -> (editor: YAMLEditor, document: Int, path: FieldPath)? {
        let editor = try YAMLEditor(source: bytes, file: file)
        for (index, document) in editor.documents.enumerated() {
            guard let root = document.root, root.node(at: ["kind"])?.scalar?.text == kind,
                  root.node(at: ["metadata", "name"])?.scalar?.text == name else { continue }
            guard let version else { return (editor, index, ["spec"]) }
            let entries = root.node(at: ["spec", "versions"])?.items ?? []
            guard let position = entries.firstIndex(where: { $0.node(at: ["version"])?.scalar.flatMap { SemanticVersion($0.text) } == version }) else {
                return nil
            }
            return (editor, index, FieldPath(["spec", "versions"]).appending(position))
        }
        return nil
    }
}
