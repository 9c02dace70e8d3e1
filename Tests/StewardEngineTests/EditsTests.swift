import Foundation
import Testing
import StewardEngine
import StewardSpec
import StewardYAML

@Suite struct EditsTests {
    static let quickstart: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/examples/quickstart"
    }()

    /// Applies field edits the way the agent's commit will, through StewardYAML.
    func apply(_ edits: [FieldEdit], to files: [SourceFile]) throws -> [SourceFile] {
        try files.map { file in
            let mine = edits.filter { $0.file == file.path }
            guard !mine.isEmpty else { return file }
            let editor = try YAMLEditor(source: file.bytes, file: file.path)
            let textEdits = try mine.map { edit -> TextEdit in
                switch edit.change {
                case .set(let value): try editor.replaceScalar(at: edit.path, inDocument: edit.documentIndex, with: value)
                case .remove: try editor.removeEntry(at: edit.path, inDocument: edit.documentIndex)
                case .put(let value): try editor.setEntry(edit.path, to: value, inDocument: edit.documentIndex)
                }
            }
            return SourceFile(path: file.path, bytes: try TextEdit.apply(textEdits, to: file.bytes))
        }
    }

    @Test func promotionEditsTheRolloutAndTheRegistry() throws {
        let loader = DesiredStateLoader()
        let before = try loader.load(directory: Self.quickstart)
        let rollout = try #require(before.state.rollouts["customer-support-agent"])
        let edits = Edits.promotion(of: SemanticVersion(2, 4, 0), in: rollout, desired: before.state)
        let dir = Self.quickstart
        #expect(edits.map(\.description) == [
            "\(dir)/rollouts/customer-support-agent.yaml: spec.stable = 2.4.0",
            "\(dir)/rollouts/customer-support-agent.yaml: remove spec.canary",
            "\(dir)/models/customer-support-agent.yaml: spec.versions[3].status = production",
            // keepProductionVersions: 2 keeps 2.4.0 and 2.3.1; 2.3.0 retires.
            "\(dir)/models/customer-support-agent.yaml: spec.versions[1].status = deprecated",
        ])

        let files = before.files.map { SourceFile(path: $0, bytes: [UInt8](FileManager.default.contents(atPath: $0)!)) }
        let edited = try apply(edits, to: files)
        let after = loader.load(edited)
        #expect(after.diagnostics.map(\.description) == [])
        #expect(after.state.rollouts["customer-support-agent"]?.stable == SemanticVersion(2, 4, 0))
        #expect(after.state.rollouts["customer-support-agent"]?.canary == nil)
        let versions = try #require(after.state.models["customer-support-agent"]?.versions)
        #expect(versions.map(\.status) == [.deprecated, .deprecated, .production, .production])
        // Comments survive the edits.
        let rolloutText = String(decoding: edited.first { $0.path.hasSuffix("rollouts/customer-support-agent.yaml") }!.bytes, as: UTF8.self)
        #expect(rolloutText.contains("rollbackMode: revert        # commit `git revert` of the commit that set the canary"))
        #expect(rolloutText.contains("  stable: 2.4.0\n"))
        #expect(!rolloutText.contains("canary: 2.4.0"))
    }

    @Test func abortClearsTheCanaryOnly() throws {
        let state = try DesiredStateLoader().load(directory: Self.quickstart).state
        let rollout = try #require(state.rollouts["code-review-assistant"])
        #expect(Edits.clearCanary(rollout).map(\.description) == ["\(Self.quickstart)/rollouts/code-review-assistant.yaml: remove spec.canary"])
    }
}
