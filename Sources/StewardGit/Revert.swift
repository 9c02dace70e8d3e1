import CGit2

extension Repository {
    /// Creates `git revert <commit>` on top of `onto`, moving no branch: the
    /// usual `Revert "<subject>"` / `This reverts commit <sha>.` message,
    /// then `body` and the trailers. A revert that conflicts throws, naming
    /// the files, and writes nothing.
    ///
    /// `amend` adds to the same commit: given a reader of the reverted
    /// files, it returns new bytes for some of them (the agent's mark on the
    /// version it rolled back).
    public func createRevert(of commit: ObjectID, onto: ObjectID, body: String = "", trailers: [(Trailer, String)] = [],
                             author: Signature, committer: Signature,
                             amend: (_ read: (String) throws(GitError) -> [UInt8]?) throws(GitError) -> [String: [UInt8]] = { _ in [:] })
        throws(GitError) -> ObjectID {
        try locked { () throws(GitError) -> ObjectID in
            var revertID = commit.raw, ontoID = onto.raw
            var reverted: OpaquePointer?, ours: OpaquePointer?
            try check("look up commit \(commit.short)", git_commit_lookup(&reverted, pointer, &revertID))
            defer { git_commit_free(reverted) }
            try check("look up commit \(onto.short)", git_commit_lookup(&ours, pointer, &ontoID))
            defer { git_commit_free(ours) }
            var index: OpaquePointer?
            try check("revert \(commit.short)", git_revert_commit(&index, pointer, reverted, ours, 0, nil))
            defer { git_index_free(index) }
            if git_index_has_conflicts(index) != 0 {
                throw GitError(operation: "revert \(commit.short)", code: GIT_EMERGECONFLICT.rawValue,
                               message: "conflicts in \(try conflictingPaths(index!).joined(separator: ", "))")
            }
            let revertedIndex = index
            let amended = try amend { (path) throws(GitError) -> [UInt8]? in
                guard let entry = git_index_get_bypath(revertedIndex, path, 0) else { return nil }
                var id = entry.pointee.id
                return try blob(&id, path: path)
            }
            try unlockedWrite(amended.mapValues { $0 }, into: index)
            var treeID = git_oid()
            try check("write the reverted tree", git_index_write_tree_to(&treeID, index, pointer))
            let subject = git_commit_summary(reverted).map { String(cString: $0) } ?? ""
            let message = CommitMessage(
                subject: "Revert \"\(subject)\"",
                body: "This reverts commit \(commit).\n" + (body.isEmpty ? "" : "\n" + body),
                trailers: trailers)
            return try unlockedCommit(tree: ObjectID(treeID), parents: [onto], message: message, author: author, committer: committer)
        }
    }

    private func conflictingPaths(_ index: OpaquePointer) throws(GitError) -> [String] {
        var iterator: OpaquePointer?
        try check("list conflicts", git_index_conflict_iterator_new(&iterator, index))
        defer { git_index_conflict_iterator_free(iterator) }
        var paths: Set<String> = []
        var ancestor: UnsafePointer<git_index_entry>?, our: UnsafePointer<git_index_entry>?, their: UnsafePointer<git_index_entry>?
        while git_index_conflict_next(&ancestor, &our, &their, iterator) == 0 {
            for entry in [ancestor, our, their] {
                if let entry, let path = entry.pointee.path { paths.insert(String(cString: path)) }
            }
        }
        return paths.sorted()
    }
}
