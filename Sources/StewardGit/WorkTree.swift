import CGit2

extension Repository {
    /// For a work tree: a test of whether a path (relative to the work
    /// tree; a folder without a trailing slash) is outside what git tracks
    /// for this repository: inside a submodule, or ignored by `.gitignore`
    /// and not tracked. Reading the work tree with it gives the files a
    /// commit of it would hold, no more.
    public func untrackedByGit() throws(GitError) -> @Sendable (String) -> Bool {
        let (tracked, submodules) = try locked { () throws(GitError) -> (Set<String>, [String]) in
            var index: OpaquePointer?
            try check("read the index", git_repository_index(&index, pointer))
            defer { git_index_free(index) }
            var tracked: Set<String> = [], submodules: [String] = []
            for i in 0..<git_index_entrycount(index) {
                guard let entry = git_index_get_byindex(index, i)?.pointee, let path = entry.path.map({ String(cString: $0) }) else { continue }
                tracked.insert(path)
                if entry.mode == GIT_FILEMODE_COMMIT.rawValue { submodules.append(path) }
            }
            return (tracked, submodules)
        }
        return { [self] path in
            if submodules.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) { return true }
            guard !tracked.contains(path) else { return false }
            let ignored = try? locked { () throws(GitError) -> Bool in
                var ignored: Int32 = 0
                return git_ignore_path_is_ignored(&ignored, pointer, path) == 0 && ignored == 1
            }
            return ignored ?? false
        }
    }
}
