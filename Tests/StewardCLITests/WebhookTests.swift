import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StewardTesting
import Testing

/// `POST /v1/hooks/git` on the real agent, polling only once an hour: a
/// verified GitHub or GitLab push notice makes it fetch within seconds;
/// a wrong signature, a replayed signature on another body and an oversized
/// body are refused and fetch nothing.
@Suite(.serialized) struct WebhookTests {
    typealias World = AgentEndToEndTests.World
    static let secret = "webhook-secret-\(UUID().uuidString)"

    static func deliver(_ port: Int, body: Data, headers: [String: String]) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/hooks/git")!)
        request.httpMethod = "POST"
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// How long a verified notice may take to become a fetch. The agent
    /// polls once an hour here, so anything within seconds proves the
    /// notice did it; a tighter bound only measures how loaded the machine is
    /// (CI once took over a second after the burst of twenty).
    static let promptly = 5.0

    static func signature(_ body: Data, secret: String = secret) -> String {
        "sha256=" + HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8))).map { String(format: "%02x", $0) }.joined()
    }

    static func observed(_ port: Int) async throws -> String {
        let (body, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/status")!)
        let status = try JSONSerialization.jsonObject(with: body) as? [String: Any]
        return status?["observedRevision"] as? String ?? ""
    }

    /// A person's commit on the remote; returns its id (the remote's tip).
    static func push(_ world: World, _ message: String) throws -> String {
        try "# \(message)\n".write(toFile: world.dir + "/work/NOTES.md", atomically: true, encoding: .utf8)
        try world.git(["add", "NOTES.md"])
        try world.git(["commit", "-qm", message])
        // The agent commits statuses to the remote too: build on its tip.
        try world.git(["pull", "-q", "--rebase", world.dir + "/remote.git", "main"])
        try world.git(["push", "-q", world.dir + "/remote.git", "main"])
        let tip = try world.remoteGit(["rev-parse", "main"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(tip == (try world.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)), "the push did not land")
        return tip
    }

    /// Whether the agent has fetched `tip` (or a later tip on top of it, such as its own status commit) within `seconds`.
    static func fetches(_ tip: String, in world: World, port: Int, within seconds: Double) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            let seen = try await observed(port)
            if seen == tip { return true }
            if !seen.isEmpty, try Subprocess.run(["git", "--git-dir", world.dir + "/remote.git", "merge-base", "--is-ancestor", tip, seen], in: world.dir).status == 0 {
                return true
            }
            try await Task.sleep(for: .milliseconds(50))
        } while Date() < deadline
        return false
    }

    @Test func verifiedNoticesFetchAtOnceAndOthersAreRefused() async throws {
        let world = try World()
        try Self.secret.write(toFile: world.dir + "/webhook-secret", atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: world.dir + "/agent.yaml", encoding: .utf8)
            .replacingOccurrences(of: "pollInterval: 1s", with: "pollInterval: 1h") + "\nwebhooks: {secretFile: \(world.dir)/webhook-secret}\n"
        try config.write(toFile: world.dir + "/hooks.yaml", atomically: true, encoding: .utf8)
        let port = try world.start(config: world.dir + "/hooks.yaml")
        // Ready: the first round has fetched and acted (its status commits may already be on the remote).
        var ready = false
        for _ in 0..<200 where !ready {
            let (_, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/readyz")!)
            ready = (response as? HTTPURLResponse)?.statusCode == 200
            if !ready { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(ready)

        // Refused: a wrong secret, a replayed signature on a changed body, no signature, an oversized body.
        let tip = try Self.push(world, "second")
        let notice = Data("{\"ref\": \"refs/heads/main\", \"after\": \"\(tip)\"}".utf8)
        let forged = Data("{\"ref\": \"refs/heads/main\", \"after\": \"0000000000000000000000000000000000000000\"}".utf8)
        #expect(try await Self.deliver(port, body: notice, headers: ["X-Hub-Signature-256": Self.signature(notice, secret: "wrong")]) == 401)
        #expect(try await Self.deliver(port, body: forged, headers: ["X-Hub-Signature-256": Self.signature(notice)]) == 401)
        #expect(try await Self.deliver(port, body: notice, headers: ["X-Gitlab-Token": "wrong"]) == 401)
        #expect(try await Self.deliver(port, body: notice, headers: [:]) == 401)
        let huge = Data(repeating: UInt8(ascii: " "), count: 2 << 20)
        #expect(try await Self.deliver(port, body: huge, headers: ["X-Hub-Signature-256": Self.signature(huge)]) == 413)
        #expect(try await !Self.fetches(tip, in: world, port: port, within: 1.5), "an unverified notice made the agent fetch")
        let log = (try? String(contentsOfFile: world.dir + "/agent.log", encoding: .utf8)) ?? ""
        #expect(log.contains("refused an unverified webhook") && !log.contains(Self.secret))

        // GitHub: a verified push to the watched branch; fetched at once.
        #expect(try await Self.deliver(port, body: notice, headers: ["X-Hub-Signature-256": Self.signature(notice), "X-GitHub-Event": "push"]) == 202)
        #expect(try await Self.fetches(tip, in: world, port: port, within: Self.promptly))

        // GitLab: its token header.
        let third = try Self.push(world, "third")
        #expect(try await Self.deliver(port, body: notice, headers: ["X-Gitlab-Token": Self.secret, "X-Gitlab-Event": "Push Hook"]) == 202)
        #expect(try await Self.fetches(third, in: world, port: port, within: Self.promptly))

        // Verified, but another branch: nothing to fetch.
        let fourth = try Self.push(world, "fourth")
        let other = Data("{\"ref\": \"refs/heads/experiments\"}".utf8)
        #expect(try await Self.deliver(port, body: other, headers: ["X-Steward-Signature": Self.signature(other)]) == 200)
        #expect(try await !Self.fetches(fourth, in: world, port: port, within: 1.5))

        // A burst of twenty deliveries coalesces into a round or two, not twenty.
        func rounds() async throws -> Int {
            let (body, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            let line = String(decoding: body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("steward_reconcile_duration_seconds_count") }
            return line.flatMap { $0.split(separator: " ").last }.flatMap { Int($0) } ?? -1
        }
        let before = try await rounds()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { try await Self.deliver(port, body: notice, headers: ["X-Hub-Signature-256": Self.signature(notice)]) } }
            for try await status in group { #expect(status == 202) }
        }
        #expect(try await Self.fetches(fourth, in: world, port: port, within: Self.promptly))
        try await Task.sleep(for: .milliseconds(500))
        let after = try await rounds()
        #expect(after - before >= 1 && after - before <= 4, "\(before) → \(after)")
        #expect(world.stop() == 0)
    }
}
