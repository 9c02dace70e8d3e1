import CGit2
import Foundation

/// libgit2 is initialised once per process, on first use.
private let libgit2: Void = {
    git_libgit2_init()
    // libgit2 caches objects up to 256 MiB by default; a long-running agent reads a tree per tip and needs few of them.
    _ = steward_git_set_cache_max_size(16 << 20)
    return ()
}()

/// A git repository on disk, opened through libgit2. Every libgit2 object it
/// creates is freed exactly once, by the `defer` next to its creation.
///
/// One repository may be shared between tasks: calls are serialised by an
/// internal lock, because a `git_repository` must not be used by two
/// threads at once.
public final class Repository: @unchecked Sendable {
    let pointer: OpaquePointer
    /// The repository's git directory (`.git` of a work tree, or a bare repository).
    public let gitDirectory: String
    let lock = NSLock()
    private var treeCache: [TreeCacheKey: [TreeFile]] = [:]
    /// Signs the commits made here, when set (``signCommits(with:)``).
    var commitSigner: SSHCommitSigner?
    /// What this repository has asked of remotes and signers so far.
    var work = Work()

    /// Counts of the costly calls, each a round trip to a remote or a signer:
    /// an agent's action should make one of each.
    public struct Work: Sendable, Equatable {
        public var fetches = 0
        public var pushes = 0
        public var signatures = 0

        public init(fetches: Int = 0, pushes: Int = 0, signatures: Int = 0) {
            self.fetches = fetches
            self.pushes = pushes
            self.signatures = signatures
        }
    }

    /// The fetches, pushes and signatures made through this repository so far.
    public var workDone: Work {
        lock.lock()
        defer { lock.unlock() }
        return work
    }
    /// A long-running agent reads a new tree at every new tip: the cache is
    /// bounded, and simply emptied when full (recent trees are read again cheaply).
    static let treeCacheLimit = 64

    private struct TreeCacheKey: Hashable {
        var commit: ObjectID
        var paths: [String]
    }

    private init(_ pointer: OpaquePointer) {
        self.pointer = pointer
        gitDirectory = String(cString: git_repository_path(pointer))
    }

    deinit { git_repository_free(pointer) }

    /// Opens the repository at `path` (a work tree or a git directory).
    public static func open(_ path: String) throws(GitError) -> Repository {
        _ = libgit2
        var repo: OpaquePointer?
        try check("open \(path)", git_repository_open_ext(&repo, path, 0, nil))
        return Repository(repo!)
    }

    /// Creates an empty repository; `bare` for a remote that is only pushed to.
    public static func create(_ path: String, bare: Bool) throws(GitError) -> Repository {
        _ = libgit2
        var repo: OpaquePointer?
        try check("init \(path)", git_repository_init(&repo, path, bare ? 1 : 0))
        return Repository(repo!)
    }

    /// Runs `body` holding the repository's lock.
    func locked<T>(_ body: () throws(GitError) -> T) throws(GitError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Empties the cache of trees read: for a long-running reader that
    /// keeps what it loaded in its own form and idles until the next tip.
    public func forgetTrees() {
        lock.lock()
        defer { lock.unlock() }
        treeCache = [:]
    }

    /// The commit a revision names: a branch, a tag, `HEAD~2`, a sha.
    public func resolveCommit(_ revision: String) throws(GitError) -> ObjectID {
        try locked { () throws(GitError) -> ObjectID in
            var object: OpaquePointer?
            try check("resolve \(revision)", git_revparse_single(&object, pointer, revision))
            defer { git_object_free(object) }
            var commit: OpaquePointer?
            try check("resolve \(revision) to a commit", git_object_peel(&commit, object, GIT_OBJECT_COMMIT))
            defer { git_object_free(commit) }
            return ObjectID(git_object_id(commit)!.pointee)
        }
    }

    /// Every `*.yaml` / `*.yml` file under `paths` in the tree of `commit`,
    /// read straight from the object database (no work tree). Hidden files
    /// and folders are skipped, as on disk; symbolic links are not followed. Reading a commit twice costs
    /// nothing: results are cached by commit id.
    public func yamlFiles(at commit: ObjectID, under paths: [String] = ["."]) throws(GitError) -> [TreeFile] {
        let key = TreeCacheKey(commit: commit, paths: paths)
        return try locked { () throws(GitError) -> [TreeFile] in
            if let cached = treeCache[key] { return cached }
            var files: [TreeFile] = []
            try withTree(of: commit) { (tree) throws(GitError) in
                for path in paths {
                    let prefix = path == "." || path.isEmpty ? "" : (path.hasSuffix("/") ? String(path.dropLast()) : path)
                    try collect(tree, at: prefix, into: &files)
                }
            }
            files.sort { $0.path < $1.path }
            if treeCache.count >= Self.treeCacheLimit { treeCache.removeAll(keepingCapacity: true) }
            treeCache[key] = files
            return files
        }
    }

    /// Runs `body` with the tree of `commit`.
    func withTree<T>(of commit: ObjectID, _ body: (OpaquePointer) throws(GitError) -> T) throws(GitError) -> T {
        var oid = commit.raw
        var commitObject: OpaquePointer?
        try check("look up commit \(commit.short)", git_commit_lookup(&commitObject, pointer, &oid))
        defer { git_commit_free(commitObject) }
        var tree: OpaquePointer?
        try check("read the tree of \(commit.short)", git_commit_tree(&tree, commitObject))
        defer { git_tree_free(tree) }
        return try body(tree!)
    }

    private func collect(_ root: OpaquePointer, at path: String, into files: inout [TreeFile]) throws(GitError) {
        guard !path.isEmpty else {
            try walk(git_tree_id(root).pointee, prefix: "", into: &files)
            return
        }
        var entry: OpaquePointer?
        guard git_tree_entry_bypath(&entry, root, path) == 0 else { return }  // absent at this commit: nothing to read
        defer { git_tree_entry_free(entry) }
        if git_tree_entry_type(entry) == GIT_OBJECT_TREE {
            try walk(git_tree_entry_id(entry).pointee, prefix: path + "/", into: &files)
        } else if let file = try yamlFile(entry!, path: path) {
            files.append(file)
        }
    }

    /// Every YAML file under a tree, folder by folder from a list rather than
    /// by recursion: a tree 20,000 folders deep is legal in git, and must not
    /// exhaust the thread's stack.
    private func walk(_ top: git_oid, prefix: String, into files: inout [TreeFile]) throws(GitError) {
        var pending = [(id: top, prefix: prefix)]
        while let (id, prefix) = pending.popLast() {
            var oid = id
            var tree: OpaquePointer?
            try check("read tree \(prefix.prefix(200))", git_tree_lookup(&tree, pointer, &oid))
            defer { git_tree_free(tree) }
            for index in 0..<git_tree_entrycount(tree) {
                let entry = git_tree_entry_byindex(tree, index)!
                let name = String(cString: git_tree_entry_name(entry))
                guard !name.hasPrefix(".") else { continue }
                if git_tree_entry_type(entry) == GIT_OBJECT_TREE {
                    pending.append((git_tree_entry_id(entry).pointee, prefix + name + "/"))
                } else if let file = try yamlFile(entry, path: prefix + name) {
                    files.append(file)
                }
            }
        }
    }

    /// The entry's bytes if it is a YAML file. A symbolic link is stored as a
    /// blob holding its target: never followed, never read.
    private func yamlFile(_ entry: OpaquePointer, path: String) throws(GitError) -> TreeFile? {
        guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB, Self.isYAML(path), git_tree_entry_filemode(entry) != GIT_FILEMODE_LINK else { return nil }
        return TreeFile(path: path, bytes: try blob(git_tree_entry_id(entry)!, path: path))
    }

    func blob(_ id: UnsafePointer<git_oid>, path: String) throws(GitError) -> [UInt8] {
        var blob: OpaquePointer?
        try check("read \(path)", git_blob_lookup(&blob, pointer, id))
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: raw, count: size))
    }

    static func isYAML(_ name: String) -> Bool { name.hasSuffix(".yaml") || name.hasSuffix(".yml") }

    /// Whether `yamlFiles` reads a file at this path: YAML, and in no hidden folder.
    public static func holdsDesiredState(_ path: String) -> Bool {
        isYAML(path) && !path.split(separator: "/").contains { $0.hasPrefix(".") }
    }
}

/// A file read from a commit's tree.
public struct TreeFile: Sendable, Hashable {
    /// The path inside the repository.
    public var path: String
    public var bytes: [UInt8]
}
