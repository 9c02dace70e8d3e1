import Foundation

/// A person's git: the `git` program run with their name and email, and
/// never signing, whatever the machine's configuration says.
public struct PersonGit: Sendable {
    public var name: String
    public var email: String

    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }

    /// The person who writes the tests' commits.
    public static let priya = PersonGit(name: "Priya", email: "priya@example.com")

    /// Runs `git` with `arguments` in `directory`; throws when it fails.
    @discardableResult
    public func run(_ arguments: [String], in directory: String) throws -> String {
        let result = try Subprocess.run(["git", "-c", "user.name=\(name)", "-c", "user.email=\(email)", "-c", "commit.gpgsign=false"] + arguments,
                                        in: directory, mergingErrors: true)
        guard result.status == 0 else { throw Failure(arguments: arguments, output: result.output) }
        return result.output
    }

    public struct Failure: Error, CustomStringConvertible {
        public var arguments: [String]
        public var output: String
        public var description: String { "git \(arguments.joined(separator: " ")) failed: \(output)" }
    }
}

/// A throwaway desired-state repository: a person's working copy of a tree
/// (committed as it is) and a bare remote cloned from it, in a temporary
/// directory removed when this is released.
public final class TemporaryRemote: @unchecked Sendable {
    /// The directory holding both.
    public let directory: String
    /// The person's working copy.
    public var work: String { directory + "/work" }
    /// The bare remote an agent watches.
    public var remote: String { directory + "/remote.git" }
    public let person: PersonGit

    /// - Parameters:
    ///   - tree: a directory copied as the first commit's content.
    ///   - prepare: changes made to the copy before that commit.
    public init(copying tree: String, person: PersonGit = .priya, prepare: (String) throws -> Void = { _ in }) throws {
        directory = NSTemporaryDirectory() + "steward-remote-" + UUID().uuidString
        self.person = person
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tree, toPath: directory + "/work")
        try prepare(directory + "/work")
        try git(["init", "-q", "-b", "main"])
        try git(["add", "-A"])
        try git(["commit", "-qm", "Registry and rollouts"])
        try person.run(["clone", "-q", "--bare", work, remote], in: directory)
    }

    /// Runs git in the working copy as the person.
    @discardableResult
    public func git(_ arguments: [String]) throws -> String { try person.run(arguments, in: work) }

    /// Runs git on the remote.
    @discardableResult
    public func remoteGit(_ arguments: [String]) throws -> String { try person.run(["--git-dir", remote] + arguments, in: directory) }

    /// Commits the working copy's changes and pushes them, on top of whatever the remote has now.
    public func commitAndPush(_ message: String) throws {
        try git(["commit", "-qam", message])
        try git(["pull", "-q", "--rebase", remote, "main"])
        try git(["push", "-q", remote, "main"])
    }

    /// A file as the remote's branch holds it now.
    public func remoteFile(_ path: String) throws -> String { try remoteGit(["show", "main:" + path]) }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
