import StewardSpec
import StewardYAML

extension UpgradeProposal {
    /// The proposal written into the desired state: the model gains the new
    /// version — a copy of its parent's entry (comments and layout kept)
    /// with the new number and base model, `status: candidate`, `parent`,
    /// `created` today, a note saying where it came from, and without what
    /// belonged to the parent alone (`since`, `rolledBack`, `configHash`,
    /// `baseline`) — and the rollout, if any, gets it as its canary.
    ///
    /// - Parameter read: a file's bytes as the branch is built on (nil: no such file).
    /// - Returns: the new bytes of each file it changes.
    public func files(_ desired: DesiredState, today: UTCDate, read: (String) throws -> [UInt8]?) throws -> [String: [UInt8]] {
        guard let model = desired.models[model], let parentVersion = model.version(parent) else {
            throw YAMLEditError.noSuchField(["spec", "versions"])
        }
        var files: [String: [UInt8]] = [:]
        let file = model.source.file, document = model.source.documentIndex
        guard let bytes = try read(file) else { throw YAMLEditError.noSuchField(["spec"]) }
        let editor = try YAMLEditor(source: bytes, file: file)
        let copied = Array(bytes[try editor.itemLines(at: parentVersion.path, inDocument: document)])
        let entry = try newEntry(copied, today: today)
        let last = try editor.itemLines(at: FieldPath(["spec", "versions"]).appending(model.versions.count - 1), inDocument: document)
        files[file] = try TextEdit.apply([TextEdit(bytes: last.upperBound..<last.upperBound, replacement: "\n" + entry)], to: bytes)
        if let name = rollout, let rollout = desired.rollouts[name] {
            guard let current = try files[rollout.source.file] ?? read(rollout.source.file) else { throw YAMLEditError.noSuchField(["spec"]) }
            let editor = try YAMLEditor(source: current, file: rollout.source.file)
            let edit = try editor.setEntry("canary", to: version.description, inMapping: ["spec"], inDocument: rollout.source.documentIndex, style: .plain)
            files[rollout.source.file] = try TextEdit.apply([edit], to: current)
        }
        return files
    }

    /// The parent's entry (its lines, as a one-item sequence) made the new
    /// version's, one edit at a time (insertions at one place keep their order).
    private func newEntry(_ copied: [UInt8], today: UTCDate) throws -> String {
        let item: FieldPath = FieldPath([]).appending(0)
        let note = "Proposed by steward upgrades: \(baseModel) replaces \(previousBaseModel) (\(rule); source \(source))."
        let steps: [(YAMLEditor) throws -> TextEdit?] = [
            { try $0.replaceScalar(at: item.appending("version"), with: self.version.description) },
            { try $0.replaceScalar(at: item.appending("baseModel"), with: self.baseModel) },
            { try $0.replaceScalar(at: item.appending("status"), with: LifecycleStatus.candidate.rawValue) },
        ] + ["since", "rolledBack", "configHash", "baseline", "notes"].map { (field: String) -> (YAMLEditor) throws -> TextEdit? in
            { (editor: YAMLEditor) throws -> TextEdit? in
                let path = item.appending(field)
                guard editor.documents.first?.root?.node(at: path) != nil else { return nil }
                // An entry written inline ({…}) keeps them: nothing is lost, and the proposal's note says where it came from.
                do {
                    return try editor.removeEntry(at: path)
                } catch YAMLEditError.notOnItsOwnLine {
                    return nil
                }
            }
        } + [
            { try $0.setEntry("parent", to: self.parent.description, inMapping: item, style: .plain) },
            { try $0.setEntry("created", to: today.dayText, inMapping: item) },
            { try $0.setEntry("notes", to: note, inMapping: item) },
        ]
        var bytes = copied
        for step in steps {
            guard let edit = try step(try YAMLEditor(source: bytes, file: "the copied entry")) else { continue }
            bytes = try TextEdit.apply([edit], to: bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
