import Foundation
import StewardGit
import StewardMetrics
import StewardSpec
import StewardStore
import StewardYAML

/// `steward agent --config FILE`: where the desired state lives, who the
/// agent commits as, where it listens and keeps its state. Read strictly
/// (a typo is an error with file:line:col); every field can be overridden
/// by a `STEWARD_…` environment variable.
public struct AgentConfig: Sendable {
    public var repositoryURL: String
    public var branch = "main"
    /// The branch the agent commits its status files to, when not `branch`:
    /// the watched branch's history then holds only desired-state changes
    /// (starts, promotions, reverts, controls), and CI runs on those alone.
    /// Nil (the default): the status files sit beside the desired state.
    public var statusBranch: String?
    /// The span or resource attributes `/v1/traces` reads a model call's Steward model and version from.
    public var spanAttributes = SpanAttributes()
    /// Where the agent exports its own traces (OTLP/HTTP), if anywhere.
    public var tracingEndpoint: String?
    /// Folders of the desired state inside the repository; the whole tree by default.
    public var paths = ["."]
    public var pollInterval: StewardDuration = StewardDuration(seconds: 30)
    /// How long one fetch or push may take; a remote that stops answering is
    /// given up on after it (and the agent keeps acting on the last good state).
    public var gitTimeout: StewardDuration = StewardDuration(seconds: 60)
    public var credentials: Credentials = .none
    public var identity = Signature(name: "Steward", email: "steward@localhost")
    public var listenHost = "127.0.0.1"
    public var listenPort = 7480
    /// The bearer token every write endpoint requires, read from this file.
    public var apiTokenFile: String?
    /// With it, reading the status page, `/v1/status`, `/v1/commits` and `/metrics` needs this token (or the API token);
    /// routes and health stay open to gateways and probes.
    public var readTokenFile: String?
    public var stateDirectory = "/var/lib/steward"
    public var routingFile: String?
    /// Where a person reads a commit, with `{commit}` for its id
    /// (`https://github.com/acme/models/commit/{commit}`); the status page
    /// links decisions there, or to the agent's own `/v1/commits/…` without it.
    public var commitURL: String?
    /// The secret that verifies `POST /v1/hooks/git` deliveries; webhooks are off without it.
    public var webhookSecretFile: String?
    /// Where rollout events are posted (JSON with a Slack-compatible `text`), and how long one delivery may take.
    public var notificationURLs: [String] = []
    public var notificationTimeout = StewardDuration(seconds: 5)
    /// The Prometheus provider's server, token and timeout.
    public var prometheus = PrometheusSettings()
    /// The PostgreSQL store several replicas share (`store: {postgres:
    /// {url, passwordFile}}`); nil: the SQLite file in the state directory,
    /// for one agent.
    public var postgres: PostgresSettings?
    /// How long a replica's lease on a shard holds without renewal
    /// (`lease: {duration: 15s}`): a replica that dies is replaced within
    /// about this, and one cut off stops acting before it runs out.
    public var leaseDuration = StewardDuration(seconds: 15)
    /// Who may sign the desired state: an allowed-signers file (`principal key-type key` per line). With it, or when a
    /// Policy lists `allowedSigners`, the agent acts only on tips whose signature verifies.
    public var allowedSignersFile: String?
    /// Trusted OpenPGP public keys (`gpg --export` output), for people who sign with GnuPG.
    public var openPGPKeyring: String?
    /// The SSH private key the agent signs its own commits with.
    public var signingKey: String?

    /// Where the routing table is written: `routing.file`, or in the state directory.
    /// A configuration with every default, for an agent watching
    /// `repositoryURL` with its state in `stateDirectory` (embedding the
    /// agent, or testing it in-process).
    public init(repositoryURL: String, stateDirectory: String = "/var/lib/steward") {
        self.repositoryURL = repositoryURL
        self.stateDirectory = stateDirectory
    }

    public var routesPath: String { routingFile ?? stateDirectory + "/routes.json" }

    /// The environment variables that override each field.
    public static let environment = [
        "STEWARD_REPOSITORY_URL", "STEWARD_REPOSITORY_BRANCH", "STEWARD_REPOSITORY_POLL_INTERVAL", "STEWARD_REPOSITORY_COMMIT_URL",
        "STEWARD_IDENTITY_NAME", "STEWARD_IDENTITY_EMAIL", "STEWARD_LISTEN", "STEWARD_API_TOKEN_FILE", "STEWARD_READ_TOKEN_FILE", "STEWARD_STATE_DIRECTORY", "STEWARD_ROUTING_FILE",
        "STEWARD_PROMETHEUS_ADDRESS", "STEWARD_PROMETHEUS_BEARER_TOKEN_FILE", "STEWARD_WEBHOOKS_SECRET_FILE",
        "STEWARD_NOTIFICATION_URLS", "STEWARD_SIGNATURES_ALLOWED_SIGNERS_FILE", "STEWARD_SIGNATURES_OPENPGP_KEYRING",
        "STEWARD_SIGNATURES_SIGNING_KEY", "STEWARD_STATUS_BRANCH", "STEWARD_OTLP_MODEL_ATTRIBUTE", "STEWARD_OTLP_VERSION_ATTRIBUTE",
        "STEWARD_TRACING_ENDPOINT", "STEWARD_STORE_POSTGRES_URL", "STEWARD_STORE_POSTGRES_PASSWORD_FILE", "STEWARD_LEASE_DURATION",
    ]

    /// Reads the config file, then the environment; every problem is in `bag`.
    public static func load(file: String, environment: [String: String], bag: DiagnosticBag) -> AgentConfig? {
        guard let data = FileManager.default.contents(atPath: file) else {
            bag.add(Diagnostic(.error, code: "unreadable-file", "cannot read the config file", file: file, line: 1, column: 1))
            return nil
        }
        guard let reader = NodeReader.singleDocument(Array(data), file: file, bag: bag) else { return nil }
        var config = decode(reader)
        config?.apply(environment, file: file, bag: bag)
        if config?.allowedSignersFile != nil || config?.openPGPKeyring != nil, config?.signingKey == nil {
            bag.add(Diagnostic(.error, code: "missing-field", "signatures.signingKey is needed beside signatures.allowedSignersFile or openPGPKeyring: the agent "
                               + "acts only on signed tips, its own commits included", file: file, line: 1, column: 1))
        }
        if let config, let statusBranch = config.statusBranch, statusBranch == config.branch {
            bag.add(Diagnostic(.error, code: "invalid-branch", "status.branch must differ from repository.branch (\(config.branch)): leave status "
                               + "out to keep the status files on the watched branch", file: file, line: 1, column: 1))
        }
        return bag.hasErrors ? nil : config
    }

    static let fields = ["repository", "identity", "listen", "apiTokenFile", "readTokenFile", "stateDirectory", "routing", "prometheus", "webhooks", "notifications",
                         "signatures", "status", "otlp", "tracing", "store", "lease"]

    static let branchExpected = "a branch name such as steward-status (no spaces, no '..', none of ~^:?*[\\, not starting with '-' or '/')"

    /// A name git takes for a branch (the common rules of `git check-ref-format --branch`).
    static func isBranchName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix("-") && !name.hasPrefix("/") && !name.hasSuffix("/") && !name.hasSuffix(".lock") && !name.hasSuffix(".")
            && !name.contains("..") && !name.contains("//") && !name.contains("@{") && !name.hasPrefix("refs/")
            && !name.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7f || "~^:?*[\\".unicodeScalars.contains($0) }
    }

    private static func decode(_ r: NodeReader) -> AgentConfig? {
        guard let m = r.mapping(fields: fields) else { return nil }
        let repository = m.required("repository")?.mapping(fields: ["url", "branch", "paths", "pollInterval", "timeout", "credentials", "commitURL"])
        guard let url = repository?.required("url")?.string() else { return nil }
        var config = AgentConfig(repositoryURL: url)
        if let branch = repository?.optional("branch")?.string() { config.branch = branch }
        if let paths = repository?.optional("paths")?.strings() { config.paths = paths }
        if let poll = repository?.optional("pollInterval") {
            if let duration = poll.duration() {
                if duration.seconds < 1 { poll.error("out-of-range", "pollInterval must be at least 1s") } else { config.pollInterval = duration }
            }
        }
        if let timeout = repository?.optional("timeout"), let duration = timeout.duration() {
            duration.seconds >= 1 ? (config.gitTimeout = duration) : timeout.error("out-of-range", "timeout must be at least 1s")
        }
        if let credentials = repository?.optional("credentials") { config.credentials = Self.credentials(credentials) ?? .none }
        if let link = repository?.optional("commitURL"), let text = link.string() {
            if Self.isCommitURL(text) { config.commitURL = text } else { link.error("invalid-commit-url", Self.commitURLExpected) }
        }
        if let identity = m.optional("identity")?.mapping(fields: ["name", "email"]) {
            let name = identity.required("name")?.string(), email = identity.required("email")?.string()
            if let name, let email { config.identity = Signature(name: name, email: email) }
        }
        if let listen = m.optional("listen") { config.setListen(listen.string(), reader: listen) }
        config.apiTokenFile = m.optional("apiTokenFile")?.string()
        config.readTokenFile = m.optional("readTokenFile")?.string()
        if let state = m.optional("stateDirectory")?.string() { config.stateDirectory = state }
        config.routingFile = m.optional("routing")?.mapping(fields: ["file"])?.optional("file")?.string()
        if let notifications = m.optional("notifications")?.mapping(fields: ["urls", "timeout"]) {
            if let urls = notifications.required("urls") {
                let list = urls.strings() ?? []
                if list.contains(where: { !Self.isHTTPURL($0) }) { urls.error("invalid-url", "each of urls must be an http:// or https:// URL") } else { config.notificationURLs = list }
            }
            if let timeout = notifications.optional("timeout"), let duration = timeout.duration() {
                duration.seconds > 0 ? (config.notificationTimeout = duration) : timeout.error("out-of-range", "timeout must be more than 0s")
            }
        }
        config.webhookSecretFile = m.optional("webhooks")?.mapping(fields: ["secretFile"])?.required("secretFile")?.string()
        if let signatures = m.optional("signatures")?.mapping(fields: ["allowedSignersFile", "openPGPKeyring", "signingKey"]) {
            config.allowedSignersFile = signatures.optional("allowedSignersFile")?.string()
            config.openPGPKeyring = signatures.optional("openPGPKeyring")?.string()
            config.signingKey = signatures.optional("signingKey")?.string()
        }
        if let prometheus = m.optional("prometheus")?.mapping(fields: ["address", "bearerTokenFile", "timeout"]) {
            if let address = prometheus.optional("address"), let text = address.string() {
                text.hasPrefix("http://") || text.hasPrefix("https://") ? (config.prometheus.address = text)
                    : address.error("invalid-url", "address must be an http:// or https:// URL, e.g. http://127.0.0.1:9090")
            }
            config.prometheus.bearerTokenFile = prometheus.optional("bearerTokenFile")?.string()
            if let timeout = prometheus.optional("timeout"), let duration = timeout.duration() {
                duration.seconds > 0 ? (config.prometheus.timeout = duration.seconds) : timeout.error("out-of-range", "timeout must be more than 0s")
            }
        }
        if let tracing = m.optional("tracing")?.mapping(fields: ["endpoint"]), let endpoint = tracing.required("endpoint"), let text = endpoint.string() {
            isHTTPURL(text) ? (config.tracingEndpoint = text)
                : endpoint.error("invalid-url", "endpoint must be an OTLP/HTTP collector's http(s) URL, e.g. http://127.0.0.1:4318")
        }
        if let otlp = m.optional("otlp")?.mapping(fields: ["modelAttribute", "versionAttribute"]) {
            if let name = otlp.optional("modelAttribute")?.string(), !name.isEmpty { config.spanAttributes.model = name }
            if let name = otlp.optional("versionAttribute")?.string(), !name.isEmpty { config.spanAttributes.version = name }
        }
        if let store = m.optional("store")?.mapping(fields: ["postgres"]), let postgres = store.required("postgres")?.mapping(fields: ["url", "passwordFile"]),
           let url = postgres.required("url"), let text = url.string() {
            switch PostgresSettings.parse(text, passwordFile: postgres.optional("passwordFile")?.string()) {
            case .success(let settings): config.postgres = settings
            case .failure(let problem): url.error("invalid-url", "url: \(problem.text), found '\(text)'")
            }
        }
        if let lease = m.optional("lease")?.mapping(fields: ["duration"]), let duration = lease.required("duration"), let value = duration.duration() {
            value.seconds >= 3 ? (config.leaseDuration = value) : duration.error("out-of-range", "duration must be at least 3s")
        }
        if let status = m.optional("status")?.mapping(fields: ["branch"]), let branch = status.required("branch"), let name = branch.string() {
            isBranchName(name) ? (config.statusBranch = name) : branch.error("invalid-branch", "branch must be " + branchExpected + ", found '\(name)'")
        }
        return config
    }

    static let commitURLExpected = "commitURL must be an http(s) URL with {commit} where the commit id goes, e.g. https://github.com/acme/models/commit/{commit}"

    static func isCommitURL(_ text: String) -> Bool {
        isHTTPURL(text) && text.contains("{commit}")
    }

    static func isHTTPURL(_ text: String) -> Bool { text.hasPrefix("https://") || text.hasPrefix("http://") }

    private static func credentials(_ r: NodeReader) -> Credentials? {
        guard let m = r.mapping(fields: ["user", "tokenFile", "sshKey", "publicKey", "passphraseFile", "knownHosts"]) else { return nil }
        let user = m.optional("user")?.string()
        if let tokenFile = m.optional("tokenFile")?.string() {
            return .token(user: user ?? "x-access-token", tokenFile: tokenFile)
        }
        if let key = m.optional("sshKey")?.string() {
            return .sshKey(user: user ?? "git", privateKey: key, publicKey: m.optional("publicKey")?.string(),
                           passphraseFile: m.optional("passphraseFile")?.string(), knownHosts: m.optional("knownHosts")?.string())
        }
        r.error("missing-field", "credentials need tokenFile, or sshKey (with knownHosts)")
        return nil
    }

    /// `host:port`, with a port from 1 to 65535 (0 picks a free one, for tests).
    private mutating func setListen(_ text: String?, reader: NodeReader?, file: String = "", bag: DiagnosticBag? = nil) {
        guard let text else { return }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let port = Int(parts.last!), (0...65535).contains(port), !parts.dropLast().joined(separator: ":").isEmpty else {
            let message = "listen must be host:port, e.g. 127.0.0.1:7480, found '\(text)'"
            if let reader { reader.error("invalid-listen", message) } else {
                bag?.add(Diagnostic(.error, code: "invalid-listen", "STEWARD_LISTEN: " + message, file: file, line: 1, column: 1))
            }
            return
        }
        listenHost = parts.dropLast().joined(separator: ":")
        listenPort = port
    }

    private mutating func apply(_ environment: [String: String], file: String, bag: DiagnosticBag) {
        func problem(_ name: String, _ message: String) {
            bag.add(Diagnostic(.error, code: "invalid-environment", "\(name): \(message)", file: file, line: 1, column: 1))
        }
        if let url = environment["STEWARD_REPOSITORY_URL"] { repositoryURL = url }
        if let branch = environment["STEWARD_REPOSITORY_BRANCH"] { branch.isEmpty ? problem("STEWARD_REPOSITORY_BRANCH", "is empty") : (self.branch = branch) }
        if let poll = environment["STEWARD_REPOSITORY_POLL_INTERVAL"] {
            if let duration = StewardDuration(poll), duration.seconds >= 1 { pollInterval = duration } else {
                problem("STEWARD_REPOSITORY_POLL_INTERVAL", "'\(poll)' is not a duration of at least 1s")
            }
        }
        if let link = environment["STEWARD_REPOSITORY_COMMIT_URL"] {
            Self.isCommitURL(link) ? (commitURL = link) : problem("STEWARD_REPOSITORY_COMMIT_URL", Self.commitURLExpected)
        }
        if let name = environment["STEWARD_IDENTITY_NAME"] { identity.name = name }
        if let email = environment["STEWARD_IDENTITY_EMAIL"] { identity.email = email }
        if let listen = environment["STEWARD_LISTEN"] { setListen(listen, reader: nil, file: file, bag: bag) }
        if let token = environment["STEWARD_API_TOKEN_FILE"] { apiTokenFile = token }
        if let token = environment["STEWARD_READ_TOKEN_FILE"] { readTokenFile = token }
        if let state = environment["STEWARD_STATE_DIRECTORY"] { stateDirectory = state }
        if let routes = environment["STEWARD_ROUTING_FILE"] { routingFile = routes }
        if let address = environment["STEWARD_PROMETHEUS_ADDRESS"] { prometheus.address = address }
        if let token = environment["STEWARD_PROMETHEUS_BEARER_TOKEN_FILE"] { prometheus.bearerTokenFile = token }
        if let secret = environment["STEWARD_WEBHOOKS_SECRET_FILE"] { webhookSecretFile = secret }
        if let signers = environment["STEWARD_SIGNATURES_ALLOWED_SIGNERS_FILE"] { allowedSignersFile = signers }
        if let keyring = environment["STEWARD_SIGNATURES_OPENPGP_KEYRING"] { openPGPKeyring = keyring }
        if let key = environment["STEWARD_SIGNATURES_SIGNING_KEY"] { signingKey = key }
        if let endpoint = environment["STEWARD_TRACING_ENDPOINT"] {
            endpoint.isEmpty ? (tracingEndpoint = nil) : Self.isHTTPURL(endpoint) ? (tracingEndpoint = endpoint)
                : problem("STEWARD_TRACING_ENDPOINT", "must be an http(s) URL")
        }
        if let url = environment["STEWARD_STORE_POSTGRES_URL"], !url.isEmpty {
            switch PostgresSettings.parse(url, passwordFile: environment["STEWARD_STORE_POSTGRES_PASSWORD_FILE"] ?? postgres?.passwordFile) {
            case .success(let settings): postgres = settings
            case .failure(let why): problem("STEWARD_STORE_POSTGRES_URL", why.text)
            }
        } else if let passwordFile = environment["STEWARD_STORE_POSTGRES_PASSWORD_FILE"] {
            postgres?.passwordFile = passwordFile
        }
        if let text = environment["STEWARD_LEASE_DURATION"] {
            if let duration = StewardDuration(text), duration.seconds >= 3 { leaseDuration = duration } else { problem("STEWARD_LEASE_DURATION", "must be a duration of at least 3s, found '\(text)'") }
        }
        if let name = environment["STEWARD_OTLP_MODEL_ATTRIBUTE"], !name.isEmpty { spanAttributes.model = name }
        if let name = environment["STEWARD_OTLP_VERSION_ATTRIBUTE"], !name.isEmpty { spanAttributes.version = name }
        if let name = environment["STEWARD_STATUS_BRANCH"] {
            name.isEmpty ? (statusBranch = nil) : Self.isBranchName(name) ? (statusBranch = name) : problem("STEWARD_STATUS_BRANCH", "must be " + Self.branchExpected)
        }
        if let urls = environment["STEWARD_NOTIFICATION_URLS"] {
            let list = urls.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            list.allSatisfy(Self.isHTTPURL) ? (notificationURLs = list) : problem("STEWARD_NOTIFICATION_URLS", "must be http(s) URLs separated by commas")
        }
    }
}
