import CGit2
import Foundation
import StewardYAML

/// Who made a commit, and when.
public struct Signature: Sendable, Hashable {
    public var name: String
    public var email: String
    /// Nil for now.
    public var time: Date?

    public init(name: String, email: String, time: Date? = nil) {
        self.name = name
        self.email = email
        self.time = time
    }
}

/// What a commit does to one file.
public enum FileChange: Sendable, Hashable {
    /// Byte-exact edits to the file at the parent commit (StewardYAML's primitive).
    case edits([TextEdit])
    /// The file's whole new content.
    case write([UInt8])
    case delete
}

extension Repository {
    /// The bytes of `path` at `commit`, or nil when the commit has no such file.
    public func file(_ path: String, at commit: ObjectID) throws(GitError) -> [UInt8]? {
        try locked { () throws(GitError) -> [UInt8]? in try unlockedFile(path, at: commit) }
    }

    func unlockedFile(_ path: String, at commit: ObjectID) throws(GitError) -> [UInt8]? {
        try withTree(of: commit) { (tree) throws(GitError) -> [UInt8]? in
            var entry: OpaquePointer?
            guard git_tree_entry_bypath(&entry, tree, path) == 0 else { return nil }
            defer { git_tree_entry_free(entry) }
            return try blob(git_tree_entry_id(entry)!, path: path)
        }
    }

    /// Creates a commit on top of `parent` that applies `changes`; moves no
    /// branch (see ``moveBranch(_:from:to:reason:)``). Every byte outside the
    /// edited ranges stays as it was. With no parent, a root commit holding
    /// only the files written (the first commit of a branch of its own).
    /// `alsoParent` makes it a merge of that commit too (the tree is still
    /// `parent`'s with `changes`): a branch rebuilt on a newer base that
    /// still moves forward from its own tip.
    public func createCommit(parent: ObjectID?, changes: [String: FileChange], message: CommitMessage,
                             author: Signature, committer: Signature, alsoParent: ObjectID? = nil) throws(GitError) -> ObjectID {
        try locked { () throws(GitError) -> ObjectID in
            var contents: [String: [UInt8]?] = [:]
            for (path, change) in changes {
                switch change {
                case .write(let bytes): contents[path] = bytes
                case .delete: contents[path] = .some(nil)
                case .edits(let edits):
                    guard let parent, let current = try unlockedFile(path, at: parent) else {
                        throw GitError(operation: "edit \(path)", code: -1, message: "\(path) does not exist at \(parent?.short ?? "a new root commit")")
                    }
                    do throws(YAMLEditError) {
                        contents[path] = try TextEdit.apply(edits, to: current)
                    } catch {
                        throw GitError(operation: "edit \(path)", code: -1, message: error.description)
                    }
                }
            }
            let tree = try unlockedTree(basedOn: parent, replacing: contents)
            let parents = (parent.map { [$0] } ?? []) + (alsoParent.map { [$0] } ?? [])
            return try unlockedCommit(tree: tree, parents: parents, message: message, author: author, committer: committer)
        }
    }

    /// Creates a commit that holds no file, on `parent` or as a root: for a
    /// ref that carries only its message (the agent's lease).
    public func createEmptyCommit(parent: ObjectID?, message: CommitMessage, author: Signature, committer: Signature) throws(GitError) -> ObjectID {
        try locked { () throws(GitError) -> ObjectID in
            var index: OpaquePointer?
            try check("create an index", git_index_new(&index))
            defer { git_index_free(index) }
            var treeID = git_oid()
            try check("write the empty tree", git_index_write_tree_to(&treeID, index, pointer))
            return try unlockedCommit(tree: ObjectID(treeID), parents: parent.map { [$0] } ?? [], message: message, author: author, committer: committer)
        }
    }

    /// Builds a tree: the parent's, with files replaced (nil deletes).
    private func unlockedTree(basedOn parent: ObjectID?, replacing contents: [String: [UInt8]?]) throws(GitError) -> ObjectID {
        var index: OpaquePointer?
        try check("create an index", git_index_new(&index))
        defer { git_index_free(index) }
        if let parent {
            try withTree(of: parent) { (tree) throws(GitError) in
                try check("read the tree into the index", git_index_read_tree(index, tree))
            }
        }
        try unlockedWrite(contents, into: index)
        var treeID = git_oid()
        try check("write the tree", git_index_write_tree_to(&treeID, index, pointer))
        return ObjectID(treeID)
    }

    /// Writes each file's new bytes (nil: removes it) into an index.
    func unlockedWrite(_ contents: [String: [UInt8]?], into index: OpaquePointer?) throws(GitError) {
        for (path, bytes) in contents.sorted(by: { $0.key < $1.key }) {
            guard let bytes else {
                try check("remove \(path)", git_index_remove_bypath(index, path))
                continue
            }
            var blobID = git_oid()
            try check("write \(path)", bytes.withUnsafeBytes { git_blob_create_from_buffer(&blobID, pointer, $0.baseAddress, $0.count) })
            var entry = git_index_entry()
            entry.mode = UInt32(GIT_FILEMODE_BLOB.rawValue)
            entry.id = blobID
            entry.file_size = UInt32(truncatingIfNeeded: bytes.count)
            let result = path.withCString { cPath -> Int32 in
                entry.path = cPath
                return git_index_add(index, &entry)
            }
            try check("stage \(path)", result)
        }
    }

    func unlockedCommit(tree treeID: ObjectID, parents: [ObjectID], message: CommitMessage,
                        author: Signature, committer: Signature) throws(GitError) -> ObjectID {
        var treeOID = treeID.raw
        var tree: OpaquePointer?
        try check("look up the new tree", git_tree_lookup(&tree, pointer, &treeOID))
        defer { git_tree_free(tree) }
        var parentObjects: [OpaquePointer?] = []
        defer { parentObjects.forEach { git_commit_free($0) } }
        for parent in parents {
            var oid = parent.raw
            var object: OpaquePointer?
            try check("look up parent \(parent.short)", git_commit_lookup(&object, pointer, &oid))
            parentObjects.append(object)
        }
        let authorSignature = try makeSignature(author)
        defer { git_signature_free(authorSignature) }
        let committerSignature = try makeSignature(committer)
        defer { git_signature_free(committerSignature) }
        guard let signer = commitSigner else {
            var commitID = git_oid()
            let result = parentObjects.withUnsafeMutableBufferPointer { buffer in
                git_commit_create(&commitID, pointer, nil, authorSignature, committerSignature, "UTF-8",
                                  message.text, tree, buffer.count, buffer.baseAddress)
            }
            try check("create the commit", result)
            return ObjectID(commitID)
        }
        // A signed commit is written in two steps: its bytes, then those bytes with their signature.
        var content = git_buf()
        defer { git_buf_dispose(&content) }
        let result = parentObjects.withUnsafeMutableBufferPointer { buffer in
            git_commit_create_buffer(&content, pointer, authorSignature, committerSignature, "UTF-8",
                                     message.text, tree, buffer.count, buffer.baseAddress)
        }
        try check("create the commit", result)
        work.signatures += 1
        return try unlockedSignedCommit(content, signer: signer)
    }

    private func makeSignature(_ signature: Signature) throws(GitError) -> UnsafeMutablePointer<git_signature>? {
        var out: UnsafeMutablePointer<git_signature>?
        if let time = signature.time {
            try check("signature for \(signature.email)",
                      git_signature_new(&out, signature.name, signature.email, git_time_t(time.timeIntervalSince1970), 0))
        } else {
            try check("signature for \(signature.email)", git_signature_now(&out, signature.name, signature.email))
        }
        return out
    }

    /// Moves `refs/heads/<branch>` to `new` only if it still points at
    /// `expected` (nil: the branch must not exist): compare-and-swap, so a
    /// concurrent writer is never overwritten.
    public func moveBranch(_ branch: String, from expected: ObjectID?, to new: ObjectID, reason: String) throws(GitError) {
        try locked { () throws(GitError) in
            var reference: OpaquePointer?
            var target = new.raw
            let name = Self.fullRef(branch)
            if var current = expected?.raw {
                try check("move \(branch) from \(expected!.short)",
                          git_reference_create_matching(&reference, pointer, name, &target, 1, &current, reason))
            } else {
                try check("create \(branch)", git_reference_create(&reference, pointer, name, &target, 0, reason))
            }
            git_reference_free(reference)
        }
    }

    /// A branch's ref (`refs/heads/main`); a name already under `refs/` is a
    /// ref that is not a branch (the agent's lease) and stays as it is.
    static func fullRef(_ branch: String) -> String { branch.hasPrefix("refs/") ? branch : "refs/heads/\(branch)" }

    /// The commit a branch points at, or nil when there is no such branch.
    public func branchTip(_ branch: String) throws(GitError) -> ObjectID? {
        try locked { () throws(GitError) -> ObjectID? in
            var oid = git_oid()
            let result = git_reference_name_to_id(&oid, pointer, Self.fullRef(branch))
            if result == GIT_ENOTFOUND.rawValue { return nil }
            try check("read \(branch)", result)
            return ObjectID(oid)
        }
    }
}
