import Foundation
import StewardSpec
import StewardTesting
import StewardYAML
import Testing

/// A pull request can add any file: nothing outside the directory is read.
@Suite struct ConfinementTests {
    let loader = DesiredStateLoader()

    @Test func symbolicLinksThatLeaveAreRefusedAndNeverRead() throws {
        let dir = try Repo.temporaryDirectory()
        let outside = try Repo.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: outside)
        }
        let secret = "token: s3cr3t-do-not-print\n"
        try secret.write(toFile: outside + "/token.yaml", atomically: true, encoding: .utf8)
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: dir + "/passwd.yaml", withDestinationPath: "/etc/passwd")
        try fm.createSymbolicLink(atPath: dir + "/token.yaml", withDestinationPath: outside + "/token.yaml")
        try fm.createSymbolicLink(atPath: dir + "/relative.yaml", withDestinationPath: "../" + (outside as NSString).lastPathComponent + "/token.yaml")
        try fm.createSymbolicLink(atPath: dir + "/dangling.yaml", withDestinationPath: dir + "/missing.yaml")
        try fm.createSymbolicLink(atPath: dir + "/loop.yaml", withDestinationPath: dir + "/loop.yaml")
        let result = try loader.load(directory: dir)
        let codes = Dictionary(result.diagnostics.map { (URL(fileURLWithPath: $0.file).lastPathComponent, $0.code) }) { a, _ in a }
        #expect(codes == ["passwd.yaml": "symlink-outside", "token.yaml": "symlink-outside", "relative.yaml": "symlink-outside",
                          "dangling.yaml": "dangling-symlink", "loop.yaml": "dangling-symlink"])
        let everything = result.diagnostics.map(\.description).joined(separator: "\n")
        #expect(!everything.contains("s3cr3t"))
        #expect(!everything.contains("root:"))
        #expect(!result.isValid)
    }

    @Test func aSymbolicLinkInsideIsRead() throws {
        let dir = try Repo.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        try Fixtures.model("m", [("1.0.0", "production")]).write(toFile: dir + "/models/m.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/alias.yaml", withDestinationPath: "models/m.yaml")
        let result = try loader.load(directory: dir, paths: ["alias.yaml"])
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.state.models["m"] != nil)
    }

    @Test func includedPathsMustStayInside() throws {
        let dir = try Repo.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "a: 1\n".write(toFile: dir + "/a.yaml", atomically: true, encoding: .utf8)
        #expect(throws: DesiredStateLoader.LoadError.self) { try loader.load(directory: dir, paths: [".."]) }
        #expect(throws: DesiredStateLoader.LoadError.self) { try loader.load(directory: dir, paths: ["../../etc"]) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/etc", withDestinationPath: "/etc")
        do {
            _ = try loader.load(directory: dir, paths: ["etc"])
            Issue.record("a linked folder outside was read")
        } catch {
            #expect("\(error)".hasSuffix("only files inside it are read"))
        }
    }

    @Test func aHugeFileIsRefusedBeforeItIsRead() throws {
        let dir = try Repo.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A sparse file: 1 GiB long, nothing on disk; reading it whole would take 1 GiB of memory.
        let path = dir + "/huge.yaml"
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 1 << 30)
        try handle.close()
        let result = try loader.load(directory: dir)
        #expect(result.diagnostics.map(\.code) == ["file-too-large"])
        #expect(result.diagnostics.first?.message == "file is 1073741824 bytes; Steward reads YAML files of at most 16777216 bytes")
    }
}
