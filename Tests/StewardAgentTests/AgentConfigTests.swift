import Foundation
import StewardAgent
import StewardSpec
import StewardStore
import StewardYAML
import Testing

/// The agent's config file and environment, read in-process.
@Suite struct AgentConfigTests {
    /// The config in `text` read with `environment`, and every problem said.
    static func load(_ text: String, environment: [String: String] = [:]) throws -> (config: AgentConfig?, problems: [String]) {
        let file = NSTemporaryDirectory() + "steward-config-\(UUID().uuidString).yaml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let bag = DiagnosticBag()
        let config = AgentConfig.load(file: file, environment: environment, bag: bag)
        return (config, bag.diagnostics.map { $0.description.replacingOccurrences(of: file, with: "agent.yaml") })
    }

    static let base = "repository: {url: file:///srv/git/models.git, branch: main}\n"

    @Test func aStatusBranchIsReadFromTheFileAndTheEnvironment() throws {
        #expect(try Self.load(Self.base).config?.statusBranch == nil)
        #expect(try Self.load(Self.base + "status: {branch: steward-status}\n").config?.statusBranch == "steward-status")
        #expect(try Self.load(Self.base, environment: ["STEWARD_STATUS_BRANCH": "ops/status"]).config?.statusBranch == "ops/status")
        // An empty variable turns a file's status branch off.
        #expect(try Self.load(Self.base + "status: {branch: steward-status}\n", environment: ["STEWARD_STATUS_BRANCH": ""]).config?.statusBranch == nil)
    }

    @Test func aStatusBranchGitWouldRefuseOrTheWatchedBranchIsAnError() throws {
        let spaced = try Self.load(Self.base + "status: {branch: \"steward status\"}\n")
        #expect(spaced.config == nil)
        #expect(spaced.problems.contains { $0.hasPrefix("agent.yaml:2:18: error: branch must be a branch name") && $0.hasSuffix("found 'steward status'") },
                "\(spaced.problems)")
        let same = try Self.load(Self.base + "status: {branch: main}\n")
        #expect(same.problems.contains { $0.contains("status.branch must differ from repository.branch (main)") }, "\(same.problems)")
        let unknown = try Self.load(Self.base + "status: {brnch: x}\n")
        #expect(unknown.problems.contains { $0.contains("unknown field 'brnch'") }, "\(unknown.problems)")
        for bad in ["a..b", "-x", "x.lock", "a~1", "refs/heads/x", "x:y"] {
            #expect(try Self.load(Self.base, environment: ["STEWARD_STATUS_BRANCH": bad]).config == nil, "\(bad)")
        }
    }

    @Test func aPostgresStoreAndLeaseAreReadFromTheFileAndTheEnvironment() throws {
        #expect(try Self.load(Self.base).config?.postgres == nil)
        let file = try #require(try Self.load(Self.base + """
            store: {postgres: {url: "postgresql://steward@db.internal:6432/models", passwordFile: /etc/steward/pg}}
            lease: {duration: 20s}

            """).config)
        #expect(file.postgres?.host == "db.internal" && file.postgres?.port == 6432 && file.postgres?.user == "steward")
        #expect(file.postgres?.database == "models" && file.postgres?.passwordFile == "/etc/steward/pg" && file.leaseDuration.seconds == 20)
        // The environment wins, field by field.
        let env = try #require(try Self.load(Self.base, environment: ["STEWARD_STORE_POSTGRES_URL": "postgres://ops@127.0.0.1/steward",
                                                                      "STEWARD_STORE_POSTGRES_PASSWORD_FILE": "/run/credentials/pw",
                                                                      "STEWARD_LEASE_DURATION": "5s"]).config)
        #expect(env.postgres?.port == 5432 && env.postgres?.user == "ops" && env.postgres?.passwordFile == "/run/credentials/pw" && env.leaseDuration.seconds == 5)
    }

    @Test func aBadPostgresURLOrLeaseSaysWhereAndWhatWasExpected() throws {
        let noUser = try Self.load(Self.base + "store: {postgres: {url: \"postgresql://db.internal/steward\"}}\n")
        #expect(noUser.config == nil)
        #expect(noUser.problems.contains { $0.hasPrefix("agent.yaml:2:") && $0.contains("the URL names no user") }, "\(noUser.problems)")
        let mysql = try Self.load(Self.base + "store: {postgres: {url: \"mysql://a@b/c\"}}\n")
        #expect(mysql.problems.contains { $0.contains("expected postgresql://USER@HOST:PORT/DATABASE") && $0.hasSuffix("found 'mysql://a@b/c'") }, "\(mysql.problems)")
        let short = try Self.load(Self.base + "lease: {duration: 1s}\n")
        #expect(short.problems.contains { $0.hasPrefix("agent.yaml:2:") && $0.contains("duration must be at least 3s") }, "\(short.problems)")
        let env = try Self.load(Self.base, environment: ["STEWARD_STORE_POSTGRES_URL": "postgresql://u@h"])
        #expect(env.config == nil && env.problems.contains { $0.contains("STEWARD_STORE_POSTGRES_URL") && $0.contains("names no database") }, "\(env.problems)")
    }
}
