import CGit2
import Foundation

/// One commit of the history, with its trailers parsed by libgit2.
public struct CommitRecord: Sendable, Hashable {
    public struct TrailerLine: Sendable, Hashable {
        public var key: String
        public var value: String
    }

    public var id: ObjectID
    public var parents: [ObjectID]
    public var authorName: String
    public var authorEmail: String
    /// Who made the commit object (the agent, for its own commits).
    public var committerEmail: String
    public var date: Date
    public var subject: String
    public var message: String
    public var trailers: [TrailerLine]
    /// Files the commit changed against its first parent.
    public var changedPaths: [String]

    /// The value of one of Steward's trailers.
    public func trailer(_ trailer: Trailer) -> String? {
        trailers.last { $0.key == trailer.rawValue }?.value
    }
}

extension Repository {
    /// History from `tip`, newest first; with `paths`, only commits that
    /// changed a file under one of them; with `since`, none older.
    public func log(from tip: ObjectID, paths: [String] = [], since: Date? = nil, limit: Int = .max) throws(GitError) -> [CommitRecord] {
        try locked { () throws(GitError) -> [CommitRecord] in
            var walker: OpaquePointer?
            try check("walk history", git_revwalk_new(&walker, pointer))
            defer { git_revwalk_free(walker) }
            git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue)
            var start = tip.raw
            try check("walk from \(tip.short)", git_revwalk_push(walker, &start))
            var records: [CommitRecord] = []
            var oid = git_oid()
            var next: Int32 = 0
            while records.count < limit {
                next = git_revwalk_next(&oid, walker)
                guard next == 0 else { break }
                // The paths' tree entries against the first parent's, before the whole diff a record carries.
                if !paths.isEmpty, try !unlockedTouches(ObjectID(oid), paths) { continue }
                let record = try unlockedRecord(ObjectID(oid))
                if let since, record.date < since { continue }
                records.append(record)
            }
            // The end of history is not a failure; a parent that cannot be read is (a shallow or damaged clone).
            if next < 0, next != GIT_ITEROVER.rawValue { throw GitError.last("walk history", code: next) }
            return records
        }
    }

    /// The commits whose parents a shallow clone left out (the `shallow`
    /// file in the git directory); empty for a whole history.
    public var shallowBoundary: [ObjectID] {
        let text = (try? String(contentsOfFile: gitDirectory + "/shallow", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isNewline).compactMap { ObjectID(hex: String($0)) }
    }

    /// How many commits the first-parent line from `tip` holds here, up to
    /// where a shallow clone cut it.
    public func firstParentDepth(from tip: ObjectID) -> Int {
        lock.lock()
        defer { lock.unlock() }
        var depth = 0
        var next: ObjectID? = tip
        while let commit = next {
            // A parent a shallow clone left out fails this lookup.
            do { next = try unlockedFirstParent(of: commit) } catch { return depth }
            depth += 1
        }
        return depth
    }

    /// The commit's first parent; nil for a root commit. Reads the commit
    /// alone, without the diff a `CommitRecord` carries.
    public func firstParent(of commit: ObjectID) throws(GitError) -> ObjectID? {
        try locked { () throws(GitError) -> ObjectID? in try unlockedFirstParent(of: commit) }
    }

    private func unlockedFirstParent(of id: ObjectID) throws(GitError) -> ObjectID? {
        var oid = id.raw
        var commit: OpaquePointer?
        try check("look up commit \(id.short)", git_commit_lookup(&commit, pointer, &oid))
        defer { git_commit_free(commit) }
        guard git_commit_parentcount(commit) > 0, let parent = git_commit_parent_id(commit, 0) else { return nil }
        return ObjectID(parent.pointee)
    }

    private func unlockedRecord(_ id: ObjectID) throws(GitError) -> CommitRecord {
        var oid = id.raw
        var commit: OpaquePointer?
        try check("look up commit \(id.short)", git_commit_lookup(&commit, pointer, &oid))
        defer { git_commit_free(commit) }
        let author = git_commit_author(commit)!.pointee
        let committer = git_commit_committer(commit)!.pointee
        let message = String(cString: git_commit_message(commit))
        var trailers: [CommitRecord.TrailerLine] = []
        var array = git_message_trailer_array()
        if git_message_trailers(&array, message) == 0 {
            for i in 0..<array.count {
                let line = array.trailers[i]
                trailers.append(.init(key: String(cString: line.key), value: String(cString: line.value)))
            }
            git_message_trailer_array_free(&array)
        }
        let parents = (0..<git_commit_parentcount(commit)).map { ObjectID(git_commit_parent_id(commit, $0)!.pointee) }
        return CommitRecord(
            id: id, parents: parents,
            authorName: String(cString: author.name), authorEmail: String(cString: author.email),
            committerEmail: String(cString: committer.email),
            date: Date(timeIntervalSince1970: TimeInterval(author.when.time)),
            subject: git_commit_summary(commit).map { String(cString: $0) } ?? "",
            message: message, trailers: trailers,
            changedPaths: try changedPaths(commit!))
    }

    private func changedPaths(_ commit: OpaquePointer) throws(GitError) -> [String] {
        try withTrees(commit) { (tree, parentTree) throws(GitError) -> [String] in
            var diff: OpaquePointer?
            try check("diff a commit", git_diff_tree_to_tree(&diff, pointer, parentTree, tree, nil))
            defer { git_diff_free(diff) }
            return (0..<git_diff_num_deltas(diff)).compactMap { index in
                guard let delta = git_diff_get_delta(diff, index)?.pointee else { return nil }
                return (delta.new_file.path ?? delta.old_file.path).map { String(cString: $0) }
            }
        }
    }

    /// Whether commit `id` changes any of `paths` (files or folders) against
    /// its first parent, from their tree entries' ids alone.
    private func unlockedTouches(_ id: ObjectID, _ paths: [String]) throws(GitError) -> Bool {
        var oid = id.raw
        var commit: OpaquePointer?
        try check("look up commit \(id.short)", git_commit_lookup(&commit, pointer, &oid))
        defer { git_commit_free(commit) }
        return try withTrees(commit!) { (tree, parentTree) throws(GitError) -> Bool in
            func entry(_ tree: OpaquePointer?, _ path: String) -> git_oid? {
                var entry: OpaquePointer?
                guard let tree, git_tree_entry_bypath(&entry, tree, path) == 0 else { return nil }
                defer { git_tree_entry_free(entry) }
                return git_tree_entry_id(entry)?.pointee
            }
            return paths.contains { path in
                let path = path.hasSuffix("/") ? String(path.dropLast()) : path
                switch (entry(tree, path), entry(parentTree, path)) {
                case (nil, nil): return false
                case (var mine?, var theirs?): return git_oid_cmp(&mine, &theirs) != 0
                default: return true
                }
            }
        }
    }

    /// Runs `body` with the commit's tree and its first parent's (nil for a root commit).
    private func withTrees<T>(_ commit: OpaquePointer, _ body: (OpaquePointer?, OpaquePointer?) throws(GitError) -> T) throws(GitError) -> T {
        var tree: OpaquePointer?
        try check("read a commit's tree", git_commit_tree(&tree, commit))
        defer { git_tree_free(tree) }
        var parentTree: OpaquePointer?
        if git_commit_parentcount(commit) > 0 {
            var parent: OpaquePointer?
            try check("read a parent", git_commit_parent(&parent, commit, 0))
            defer { git_commit_free(parent) }
            try check("read a parent's tree", git_commit_tree(&parentTree, parent))
        }
        defer { git_tree_free(parentTree) }
        return try body(tree, parentTree)
    }
}
