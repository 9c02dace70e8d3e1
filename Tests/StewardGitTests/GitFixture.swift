import Foundation

/// A throwaway git repository driven with the `git` command-line tool, so
/// that what Steward writes is checked by git itself.
struct GitFixture {
    let path: String

    init(bare: Bool = false) throws {
        path = NSTemporaryDirectory() + "steward-git-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try git(bare ? ["init", "-q", "--bare", "-b", "main"] : ["init", "-q", "-b", "main"])
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Runs git in the repository; returns its output, throws on failure.
    @discardableResult
    func git(_ arguments: [String], in directory: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
                             "-c", "commit.gpgsign=false"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory ?? path)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let error = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(command: arguments.joined(separator: " "), output: error + output) }
        return output
    }

    struct Failure: Error, CustomStringConvertible {
        var command: String
        var output: String
        var description: String { "git \(command) failed: \(output)" }
    }

    func write(_ relative: String, _ text: String) throws {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    /// Writes the files and commits them; returns the new commit's sha.
    @discardableResult
    func commit(_ files: [String: String], message: String) throws -> String {
        for (name, text) in files { try write(name, text) }
        try git(["add", "-A"])
        try git(["commit", "-q", "-m", message])
        return try git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
