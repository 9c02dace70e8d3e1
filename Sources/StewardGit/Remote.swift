import CGit2
import Foundation

/// Where the watched repository lives and how to reach it.
public struct RemoteOptions: Sendable {
    public var url: String
    public var credentials: Credentials
    /// A transfer still running after this long is aborted.
    public var timeout: TimeInterval
    /// A transfer whose caller is cancelled is aborted (see ``GitQueue``).
    public var cancellation: GitCancellation?

    public init(url: String, credentials: Credentials = .none, timeout: TimeInterval = 60) {
        self.url = url
        self.credentials = credentials
        self.timeout = timeout
    }
}

/// What a fetch found.
public struct FetchResult: Sendable, Hashable {
    /// The remote branch's tip now.
    public var tip: ObjectID
    /// Its tip at the previous fetch, if there was one.
    public var previous: ObjectID?
    /// True when the remote branch was force-pushed: the old tip is not in
    /// the new history. The new tip is simply the new desired state.
    public var forced: Bool
}

/// State the C callbacks reach through their payload pointer.
final class TransferContext {
    let options: RemoteOptions
    let deadline: Date
    var credentialAttempts = 0
    var failure: GitError?
    var rejected: [String: String] = [:]

    init(_ options: RemoteOptions) {
        self.options = options
        deadline = Date().addingTimeInterval(options.timeout)
    }

    func callbacks() -> git_remote_callbacks {
        var callbacks = git_remote_callbacks()
        git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION))
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.credentials = { out, _, usernameFromURL, allowed, payload in
            let context = Unmanaged<TransferContext>.fromOpaque(payload!).takeUnretainedValue()
            return context.credential(out, usernameFromURL.map { String(cString: $0) }, allowed)
        }
        callbacks.certificate_check = { cert, valid, host, payload in
            let context = Unmanaged<TransferContext>.fromOpaque(payload!).takeUnretainedValue()
            return context.checkCertificate(cert, valid != 0, host.map { String(cString: $0) } ?? "")
        }
        callbacks.transfer_progress = { _, payload in
            let context = Unmanaged<TransferContext>.fromOpaque(payload!).takeUnretainedValue()
            return context.overdue ? -1 : 0
        }
        callbacks.sideband_progress = { _, _, payload in
            let context = Unmanaged<TransferContext>.fromOpaque(payload!).takeUnretainedValue()
            return context.overdue ? -1 : 0
        }
        callbacks.push_update_reference = { name, status, payload in
            let context = Unmanaged<TransferContext>.fromOpaque(payload!).takeUnretainedValue()
            if let name, let status { context.rejected[String(cString: name)] = String(cString: status) }
            return 0
        }
        return callbacks
    }

    var overdue: Bool {
        if options.cancellation?.isCancelled == true {
            if failure == nil { failure = .cancelled("transfer") }
            return true
        }
        guard Date() > deadline else { return false }
        if failure == nil {
            failure = GitError(operation: "transfer", code: GIT_EUSER.rawValue, message: "timed out after \(Int(options.timeout))s")
        }
        return true
    }

    private func credential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, _ user: String?, _ allowed: UInt32) -> Int32 {
        credentialAttempts += 1
        // libgit2 asks again after a rejection; a wrong secret must not loop.
        guard credentialAttempts <= 2 else {
            failure = GitError(operation: "authenticate", code: GIT_EAUTH.rawValue, message: "the remote refused the credentials")
            return GIT_EAUTH.rawValue
        }
        do throws(GitError) {
            switch options.credentials {
            case .none:
                return GIT_PASSTHROUGH.rawValue
            case .token(let name, let tokenFile):
                let token = try Credentials.readSecret(tokenFile, what: "token")
                return git_credential_userpass_plaintext_new(out, name, token)
            case .sshKey(let name, let privateKey, let publicKey, let passphraseFile, _):
                let passphrase = try passphraseFile.map { (file) throws(GitError) in try Credentials.readSecret(file, what: "passphrase") }
                return git_credential_ssh_key_new(out, user ?? name, publicKey, privateKey, passphrase)
            }
        } catch {
            failure = error
            return GIT_EAUTH.rawValue
        }
    }

    private func checkCertificate(_ cert: UnsafeMutablePointer<git_cert>?, _ valid: Bool, _ host: String) -> Int32 {
        guard let cert, cert.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 else {
            return GIT_PASSTHROUGH.rawValue  // TLS: libgit2 checks the chain against the system's store
        }
        guard case .sshKey(_, _, _, _, let named) = options.credentials else {
            failure = GitError(operation: "check host key", code: GIT_ECERTIFICATE.rawValue, message: "an ssh remote needs ssh credentials and known_hosts")
            return GIT_ECERTIFICATE.rawValue
        }
        let knownHostsFile = named ?? Credentials.defaultKnownHosts
        let hostkey = UnsafeRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self).pointee
        guard hostkey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostkey.hostkey,
              let text = try? String(contentsOfFile: knownHostsFile, encoding: .utf8) else {
            failure = GitError(operation: "check host key", code: GIT_ECERTIFICATE.rawValue, message: "cannot check \(host)'s key against \(knownHostsFile)")
            return GIT_ECERTIFICATE.rawValue
        }
        let key = [UInt8](UnsafeRawBufferPointer(start: raw, count: hostkey.hostkey_len))
        let port = URLComponents(string: options.url)?.port
        guard KnownHosts(text: text).accepts(host: host, port: port, key: key) else {
            failure = GitError(operation: "check host key", code: GIT_ECERTIFICATE.rawValue, message: "\(host)'s key is not in \(knownHostsFile)")
            return GIT_ECERTIFICATE.rawValue
        }
        return 0
    }
}

extension Repository {
    /// The ref where fetched tips of `branch` are kept.
    static func trackingRef(_ branch: String) -> String { "refs/remotes/steward/\(branch)" }

    /// Fetches `branch` and follows it even when it was force-pushed.
    public func fetch(_ remote: RemoteOptions, branch: String) throws(GitError) -> FetchResult {
        try Self.againIfAPrivateRefVanished { () throws(GitError) in try fetchOnce(remote, branch: branch) }
    }

    /// Fetches `branch` when the remote has it; nil when it has no such
    /// branch (yet): a branch the agent creates with its first commit.
    public func fetchIfPresent(_ remote: RemoteOptions, branch: String) throws(GitError) -> FetchResult? {
        do {
            return try fetch(remote, branch: branch)
        } catch where error.kind == .notFound {
            return nil
        }
    }

    /// Runs `transfer`, and again (up to five times) when it failed because
    /// another writer's private push ref (see `push`) vanished while the
    /// transfer listed the remote's refs: that race is not a failure.
    static func againIfAPrivateRefVanished<T>(_ transfer: () throws(GitError) -> T) throws(GitError) -> T {
        var attempt = 0
        while true {
            do throws(GitError) {
                return try transfer()
            } catch where error.message.contains("refs/steward/incoming/") && attempt < 5 {
                attempt += 1
            }
        }
    }

    private func fetchOnce(_ remote: RemoteOptions, branch: String) throws(GitError) -> FetchResult {
        try locked { () throws(GitError) -> FetchResult in
            let previous = try unlockedTip(Self.trackingRef(branch))
            let context = TransferContext(remote)
            let handle = try unlockedRemote(remote.url)
            defer { git_remote_free(handle) }
            var options = git_fetch_options()
            git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
            options.callbacks = context.callbacks()
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
            work.fetches += 1
            let refspec = "+\(Self.fullRef(branch)):\(Self.trackingRef(branch))"
            let result = withStringArray([refspec]) { specs in git_remote_fetch(handle, specs, &options, "steward: fetch") }
            if let failure = context.failure { throw failure }
            try check("fetch \(branch) from \(remote.url)", result)
            guard let tip = try unlockedTip(Self.trackingRef(branch)) else {
                throw GitError(operation: "fetch \(branch)", code: GIT_ENOTFOUND.rawValue, message: "the remote has no branch \(branch)")
            }
            var forced = false
            if let previous, previous != tip {
                var old = previous.raw, new = tip.raw
                forced = git_graph_descendant_of(pointer, &new, &old) != 1
            }
            return FetchResult(tip: tip, previous: previous, forced: forced)
        }
    }

    /// Pushes `commit` to the remote's `branch`, never forcing: the branch
    /// must still be at `expected` (nil: as last fetched). A branch that
    /// moved meanwhile is refused with an error whose
    /// ``GitError/isConflictOnReference`` is true.
    public func push(_ commit: ObjectID, to remote: RemoteOptions, branch: String, expected: ObjectID? = nil) throws(GitError) {
        try locked { () throws(GitError) in
            if let path = Self.localPath(remote.url) {
                // libgit2's local transport moves the ref without checking its old
                // value under a lock, so two writers could overwrite each other:
                // send the objects to a private ref, then move the branch by
                // compare-and-swap, under git's own ref lock.
                let incoming = "refs/steward/incoming/\(UUID().uuidString)"
                try Self.againIfAPrivateRefVanished { () throws(GitError) in try unlockedPush(commit, to: remote, ref: incoming) }
                let target = try Repository.open(path)
                defer { try? target.deleteReference(incoming) }
                var old = expected
                if old == nil { old = try unlockedTip(Self.trackingRef(branch)) }
                do throws(GitError) {
                    try target.moveBranch(branch, from: old, to: commit, reason: "steward: push")
                } catch where error.isConflictOnReference || error.code == GIT_EEXISTS.rawValue {
                    throw GitError(operation: "push \(branch)", code: GIT_ENONFASTFORWARD.rawValue, message: "rejected: \(branch) moved")
                }
            } else {
                try unlockedPush(commit, to: remote, ref: Self.fullRef(branch))
            }
            // The remote now has it: so does our view of the remote.
            var reference: OpaquePointer?
            var target = commit.raw
            try check("record the pushed tip", git_reference_create(&reference, pointer, Self.trackingRef(branch), &target, 1, "steward: pushed"))
            git_reference_free(reference)
        }
    }

    /// Pushes `commit` to `ref` on the remote, as a fast-forward only.
    private func unlockedPush(_ commit: ObjectID, to remote: RemoteOptions, ref: String) throws(GitError) {
        work.pushes += 1
        // Push from a private ref so that no local branch is touched.
        let source = "refs/steward/push/\(ref.split(separator: "/").last ?? "tip")"
        var reference: OpaquePointer?
        var target = commit.raw
        try check("stage the push", git_reference_create(&reference, pointer, source, &target, 1, "steward: push"))
        git_reference_free(reference)
        let context = TransferContext(remote)
        let handle = try unlockedRemote(remote.url)
        defer { git_remote_free(handle) }
        var options = git_push_options()
        git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION))
        options.callbacks = context.callbacks()
        let result = withStringArray(["\(source):\(ref)"]) { specs in git_remote_push(handle, specs, &options) }
        if let failure = context.failure { throw failure }
        if let status = context.rejected[ref] {
            throw GitError(operation: "push \(ref)", code: GIT_ENONFASTFORWARD.rawValue, message: "rejected: \(status)")
        }
        try check("push \(ref) to \(remote.url)", result)
    }

    /// An anonymous remote for `url`. `url.*.insteadOf` rewriting is skipped:
    /// Steward uses the URL it is given (and libgit2 1.5 leaks memory on
    /// every config entry that rule's pattern does not match).
    private func unlockedRemote(_ url: String) throws(GitError) -> OpaquePointer? {
        var options = git_remote_create_options()
        git_remote_create_options_init(&options, UInt32(GIT_REMOTE_CREATE_OPTIONS_VERSION))
        options.repository = pointer
        options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF.rawValue | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC.rawValue
        var handle: OpaquePointer?
        try check("connect to \(url)", git_remote_create_with_opts(&handle, url, &options))
        return handle
    }

    /// The URL of a remote the repository names (`origin`), if it has one.
    public func remoteURL(named name: String) -> String? {
        try? locked { () throws(GitError) -> String? in
            var handle: OpaquePointer?
            guard git_remote_lookup(&handle, pointer, name) == 0, let handle else { return nil }
            defer { git_remote_free(handle) }
            return git_remote_url(handle).map { String(cString: $0) }
        }
    }

    /// The directory of a local remote, or nil for a network URL.
    static func localPath(_ url: String) -> String? {
        if url.hasPrefix("file://") { return String(url.dropFirst("file://".count)) }
        return url.contains("://") || url.contains("@") && url.contains(":") ? nil : url
    }

    /// Deletes a reference, if it exists.
    func deleteReference(_ name: String) throws(GitError) {
        try locked { () throws(GitError) in
            let result = git_reference_remove(pointer, name)
            if result != GIT_ENOTFOUND.rawValue { try check("delete \(name)", result) }
        }
    }

    func unlockedTip(_ ref: String) throws(GitError) -> ObjectID? {
        var oid = git_oid()
        let result = git_reference_name_to_id(&oid, pointer, ref)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check("read \(ref)", result)
        return ObjectID(oid)
    }
}

/// Calls `body` with a `git_strarray` of `strings`.
func withStringArray<T>(_ strings: [String], _ body: (UnsafePointer<git_strarray>) -> T) -> T {
    var pointers = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
        return body(&array)
    }
}
