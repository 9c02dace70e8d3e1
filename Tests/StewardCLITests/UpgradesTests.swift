import Foundation
import Hummingbird
import StewardTesting
import Synchronization
import Testing

/// `steward upgrades` against a model list served on loopback, a GitHub
/// API stand-in that keeps its pull requests, and a real bare remote.
@Suite(.serialized) struct UpgradesTests {
    /// The base models the list serves, by name, with their release time (UNIX seconds).
    final class Listing: Sendable {
        let models = Mutex<[(String, Int)]>([])

        var json: String {
            let items = models.withLock { $0 }.map { "{\"id\": \"\($0.0)\", \"object\": \"model\", \"created\": \($0.1)}" }
            return "{\"object\": \"list\", \"data\": [\(items.joined(separator: ", "))]}"
        }
    }

    /// GitHub's pull requests, as far as `steward upgrades` uses them.
    final class PullRequests: Sendable {
        struct Pull: Sendable {
            var number: Int
            var head: String
            var state: String
            var body: String
        }

        let pulls = Mutex<[Pull]>([])

        func json(_ pull: Pull) -> [String: Any] { ["number": pull.number, "state": pull.state, "body": pull.body, "head": ["ref": pull.head]] }
    }

    static func answer(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func modelList(_ listing: Listing) async throws -> FakeServer {
        try await FakeServer.start { router in
            router.get("v1/models") { request, _ -> Response in
                guard request.headers[.authorization] == "Bearer list-token" else { return answer(.unauthorized, "{}") }
                return answer(.ok, listing.json)
            }
        }
    }

    static func github(_ state: PullRequests) async throws -> FakeServer {
        try await FakeServer.start { router in
            router.get("repos/acme/models/pulls") { request, _ -> Response in
                let head = request.uri.queryParameters["head"].map(String.init)?.split(separator: ":").last.map(String.init)
                let matching = state.pulls.withLock { $0 }.filter { $0.head == head }.map(state.json)
                return answer(.ok, String(decoding: try JSONSerialization.data(withJSONObject: matching), as: UTF8.self))
            }
            router.post("repos/acme/models/pulls") { request, context -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                let fields = try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: String] ?? [:]
                let pull = state.pulls.withLock { pulls in
                    pulls.append(.init(number: pulls.count + 1, head: fields["head"] ?? "", state: "open", body: fields["body"] ?? ""))
                    return pulls.last!
                }
                return answer(.created, String(decoding: try JSONSerialization.data(withJSONObject: state.json(pull)), as: UTF8.self))
            }
            router.patch("repos/acme/models/pulls/{number}") { request, context -> Response in
                let number = Int(context.parameters.get("number") ?? "") ?? 0
                let body = try await request.body.collect(upTo: 1 << 20)
                let fields = try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: String] ?? [:]
                state.pulls.withLock { pulls in
                    for i in pulls.indices where pulls[i].number == number { pulls[i].body = fields["body"] ?? pulls[i].body }
                }
                return answer(.ok, "{}")
            }
        }
    }

    /// The quickstart with no canary running, a policy reading `list` (its
    /// token in a file) and customer-support-agent tracking dated
    /// gpt-4.1-mini snapshots (its prompt template lists them), nano ignored.
    static func repository(list: String) throws -> TemporaryRemote {
        try TemporaryRemote(copying: SourceTree.path("examples/quickstart")) { work in
            try rewrite(work + "/rollouts/customer-support-agent.yaml") { $0.replacingOccurrences(of: "  canary: 2.4.0\n", with: "") }
            try "list-token\n".write(toFile: work + "/../list-token", atomically: true, encoding: .utf8)
            try rewrite(work + "/policies/default.yaml") { text in
                Self.withoutUpgrades(text) + "  upgrades:\n    sources:\n      - {name: lab, modelList: {url: \"\(list)\", tokenFile: \"\(work)/../list-token\"}}\n"
            }
            try rewrite(work + "/models/customer-support-agent.yaml") { text in
                text.replacingOccurrences(of: "  upgrades: {track: \"gpt-4.1*\", pick: newest}",
                                          with: "  upgrades: {track: \"gpt-4.1-mini*\", pick: newest, ignore: [\"*nano*\"]}")
            }
            try rewrite(work + "/prompts/support-system.yaml") { text in
                text.replacingOccurrences(of: "compatibleModels: [gpt-4.1-mini, gpt-4.1]",
                                          with: "compatibleModels: [gpt-4.1-mini, gpt-4.1, gpt-4.1-mini-2026-11, gpt-4.1-mini-2027-01]")
            }
        }
    }

    /// The quickstart's policy without its own `upgrades` (its last entry), for a test to write its own.
    static func withoutUpgrades(_ policy: String) -> String {
        policy.components(separatedBy: "  # Where base models come from").first ?? policy
    }

    @Test func aNewModelMakesOneBranchAndOnePullRequestThatFollowTheList() async throws {
        let listing = Listing()
        listing.models.withLock {
            $0 = [("gpt-4.1-mini", 1_744_588_800), ("gpt-4.1-mini-2026-11", 1_795_000_000), ("gpt-4.1-mini-nano-2026-12", 1_797_000_000)]
        }
        let list = try await Self.modelList(listing)
        defer { list.stop() }
        let pullRequests = PullRequests()
        let github = try await Self.github(pullRequests)
        defer { github.stop() }
        let repository = try Self.repository(list: list.address)
        try repository.git(["remote", "add", "origin", repository.remote])
        let token = repository.directory + "/github-token"
        try "gh-token\n".write(toFile: token, atomically: true, encoding: .utf8)
        let cli = CommandLineTests()
        let branch = "steward/upgrade/customer-support-agent-2.5.0"
        let push = ["upgrades", "--repo", repository.work, "--once", "--push", "--github-repo", "acme/models",
                    "--github-api", github.address, "--github-token-file", token, "--author", "Steward <steward@example.com>"]

        // Without --push it only says what it would do.
        let dry = try cli.steward(["upgrades", "--repo", repository.work, "--once"])
        #expect(dry.status == 0, "\(dry.output)\(dry.error)")
        #expect(dry.output.contains("proposal: customer-support-agent 2.5.0 on gpt-4.1-mini-2026-11 (was gpt-4.1-mini; "
                                    + "newest by release date among gpt-4.1-mini*; source lab) → branch \(branch)"), "\(dry.output)")
        #expect(dry.output.contains("no proposal: code-review-assistant") == false, "a model without upgrades is not looked at")
        #expect(throws: (any Error).self) { try repository.remoteGit(["rev-parse", "--verify", branch]) }

        // With it: one branch, one pull request whose body is the plan; the YAML on the branch validates.
        let first = try cli.steward(push)
        try #require(first.status == 0, "\(first.output)\(first.error)")
        let tip = try repository.remoteGit(["rev-parse", branch]).trimmingCharacters(in: .whitespacesAndNewlines)
        let message = try repository.remoteGit(["log", "-1", "--format=%B", branch])
        for trailer in ["Steward-Action: propose-upgrade", "Steward-Model: customer-support-agent", "Steward-To-Version: 2.5.0",
                        "Steward-From-Version: 2.3.1", "Steward-Base-Model: gpt-4.1-mini-2026-11", "Steward-Source: lab",
                        "Steward-Rule: newest by release date among gpt-4.1-mini*"] {
            #expect(message.contains(trailer), "\(message)")
        }
        #expect(try repository.remoteGit(["rev-parse", "main"]) != tip + "\n", "never the watched branch")
        let checkout = repository.directory + "/proposal"
        _ = try repository.person.run(["clone", "-q", "-b", branch, repository.remote, checkout], in: repository.directory)
        let validate = try cli.steward(["validate", checkout])
        #expect(validate.status == 0, "\(validate.output)")
        let model = try String(contentsOfFile: checkout + "/models/customer-support-agent.yaml", encoding: .utf8)
        #expect(model.contains("    - version: 2.5.0\n      baseModel: gpt-4.1-mini-2026-11\n"), "\(model)")
        #expect(model.contains("      status: candidate\n      parent: 2.3.1\n"), "\(model)")
        #expect(try String(contentsOfFile: checkout + "/rollouts/customer-support-agent.yaml", encoding: .utf8).contains("canary: 2.5.0"))
        var pulls = pullRequests.pulls.withLock { $0 }
        #expect(pulls.count == 1 && pulls.first?.head == branch, "\(pulls.map(\.head))")
        #expect(pulls.first?.body.contains("starts: 2.5.0 as canary of 2.3.1") == true, "\(pulls.first?.body ?? "")")
        #expect(github.requests.allSatisfy { $0.authorization == "Bearer gh-token" })

        // Again: nothing changes.
        let second = try cli.steward(push)
        #expect(second.status == 0 && second.output.contains("\(branch) already holds it"), "\(second.output)")
        #expect(try repository.remoteGit(["rev-parse", branch]).trimmingCharacters(in: .whitespacesAndNewlines) == tip)
        #expect(pullRequests.pulls.withLock { $0 }.count == 1)
        #expect(!github.requests.contains { $0.method == "PATCH" })

        // A newer snapshot: the same branch moves forward (its old tip a parent), the same pull request is updated.
        listing.models.withLock { $0.append(("gpt-4.1-mini-2027-01", 1_800_000_000)) }
        let third = try cli.steward(push)
        #expect(third.status == 0, "\(third.output)\(third.error)")
        let parents = try repository.remoteGit(["log", "-1", "--format=%P", branch])
        #expect(parents.contains(tip), "\(parents)")
        #expect(try repository.remoteGit(["show", "\(branch):models/customer-support-agent.yaml"]).contains("baseModel: gpt-4.1-mini-2027-01"))
        pulls = pullRequests.pulls.withLock { $0 }
        #expect(pulls.count == 1 && pulls.first?.body.contains("gpt-4.1-mini-2027-01") == true)

        // A closed pull request is not reopened for the same candidate.
        pullRequests.pulls.withLock { $0[0].state = "closed" }
        let fourth = try cli.steward(push)
        #expect(fourth.output.contains("was closed: not reopened"), "\(fourth.output)")
        #expect(pullRequests.pulls.withLock { $0 }.count == 1)

        // A source that does not answer is reported, and the run still ends.
        list.stop()
        let away = try cli.steward(["upgrades", "--repo", repository.work, "--once"])
        #expect(away.status == 3, "\(away.output)")
        #expect(away.output.contains("cannot read: customer-support-agent: source lab: GET \(list.address)/v1/models"), "\(away.output)")
    }

    /// A catalog's retirement date: `plan` warns within the notice, and
    /// `validate` refuses a canary on a base model past it.
    @Test func aRetirementIsWarnedOfAheadAndRefusedAfter() throws {
        let cli = CommandLineTests()
        func day(_ offset: Double) -> String { String(ISO8601DateFormatter().string(from: Date().addingTimeInterval(offset * 86_400)).prefix(10)) }
        let dir = try cli.planRepository { dir in
            try rewrite(dir + "/policies/default.yaml") { text in
                Self.withoutUpgrades(text) + """
                  upgrades:
                    retirementNotice: 30d
                    sources:
                      - name: openai
                        catalog:
                          - {name: gpt-4.1-mini, released: "2025-04-14", retires: "\(day(20))", successor: gpt-4.1}
                          - {name: gpt-4.1, released: "2025-04-14", retires: "\(day(-1))"}
                          - {name: claude-sonnet-4.5, retires: "\(day(90))"}

                """
            }
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plan = try cli.steward(["plan", "--repo", dir, "--base", "main"])
        #expect(plan.output.contains("warning: customer-support-agent 2.3.1: gpt-4.1-mini retires on \(day(20)) (in 20 days), catalog openai; "
                                     + "Rollout customer-support-agent runs it; successor gpt-4.1"), "\(plan.output)")
        #expect(!plan.output.contains("claude-sonnet-4.5 retires"), "90 days ahead is outside the notice")
        // The head makes 2.4.0 (on gpt-4.1, retired yesterday) the canary: refused.
        let validate = try cli.steward(["validate", dir])
        #expect(validate.status == 1)
        #expect(validate.output.contains("rollouts/customer-support-agent.yaml:9:11: error: canary 2.4.0 runs on gpt-4.1, which retired on \(day(-1)) (catalog openai)"),
                "\(validate.output)")
    }
}
