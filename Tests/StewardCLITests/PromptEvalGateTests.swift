import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import StewardTesting
import Testing

/// `examples/gates/prompt-eval`: the same prompts to the candidate and to
/// stable over an OpenAI-compatible endpoint (here one this test serves),
/// scored and compared by a paired test, as a command and as a gate.
@Suite(.serialized) struct PromptEvalGateTests {
    static let script = SourceTree.path("examples/gates/prompt-eval/prompt_eval.py")
    static let prompts = SourceTree.path("examples/gates/prompt-eval/prompts.jsonl")

    /// Good answers to the example prompt set, by a word of each prompt.
    static let good: [(String, String)] = [
        ("return", "You have 30 days to return it."), ("hello", "Hello!"), ("JSON", #"{"order_id": "A-1001", "items": 2}"#),
        ("shipping", "Yes, standard shipping is free over 50 euros."), ("status", "Could you give me your order number?"),
    ]

    /// An OpenAI-compatible endpoint: `support-2.3.1` and `support-2.4.0` answer well; `support-2.5.0` gets
    /// every prompt but the greeting wrong.
    static func endpoint() async throws -> FakeServer {
        try await FakeServer.start { router in
            router.post("v1/chat/completions") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 16)
                let question = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
                let model = question["model"] as? String ?? ""
                let prompt = ((question["messages"] as? [[String: Any]])?.last?["content"] as? String) ?? ""
                var answer = good.first { prompt.contains($0.0) }?.1 ?? "I don't know."
                if model == "support-2.5.0", !prompt.contains("hello") { answer = "Your order 7731 ships tomorrow." }
                let reply: [String: Any] = ["choices": [["message": ["role": "assistant", "content": answer]]]]
                return Response(status: model.hasPrefix("support-") ? .ok : .notFound,
                                body: .init(byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: reply))))
            }
        }
    }

    /// Runs the script off the cooperative threads (the endpoint answers on them meanwhile).
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Subprocess.run(["python3", script] + arguments, in: SourceTree.root, mergingErrors: true) })
            }
        }
    }

    static func evaluate(_ endpoint: FakeServer, candidate: String) async throws -> (status: Int32, output: String) {
        try await run(["run", "--endpoint", endpoint.address, "--prompts", prompts, "--served-name", "support-{version}",
                       "--candidate", candidate, "--stable", "2.3.1"])
    }

    @Test func aCandidateThatAnswersAsWellAsStablePasses() async throws {
        let endpoint = try await Self.endpoint()
        defer { endpoint.stop() }
        let run = try await Self.evaluate(endpoint, candidate: "2.4.0")
        #expect(run.status == 0 && run.output.hasPrefix("pass: as good as stable: 2.4.0 5/5 against 2.3.1 5/5 on the same prompts; 0 lost, 0 won"),
                "\(run.output)")
        #expect(endpoint.requests.count == 10)
    }

    @Test func aCandidateThatAnswersWorseFailsWithItsFigures() async throws {
        let endpoint = try await Self.endpoint()
        defer { endpoint.stop() }
        let run = try await Self.evaluate(endpoint, candidate: "2.5.0")
        #expect(run.status == 1 && run.output.hasPrefix("fail: worse than stable: 2.5.0 1/5 against 2.3.1 5/5 on the same prompts; 4 lost, 0 won")
                && run.output.contains("lost: refund-window, order-json, shipping-cost, no-invented-orders"), "\(run.output)")
    }

    @Test func anEndpointThatCannotAnswerIsNoVerdict() async throws {
        let endpoint = try await Self.endpoint()
        defer { endpoint.stop() }
        let run = try await Self.run(["run", "--endpoint", endpoint.address, "--prompts", Self.prompts, "--served-name", "other-{version}",
                                      "--candidate", "2.4.0", "--stable", "2.3.1"])
        #expect(run.status == 2 && run.output.contains("cannot evaluate: other-2.4.0: the endpoint did not answer a completion"), "\(run.output)")
    }

    /// As a gate: a question about a worse canary is answered no (503) with the figures, one about a good canary yes.
    @Test func asAGateItAnswersTheAgentsQuestion() async throws {
        let endpoint = try await Self.endpoint()
        defer { endpoint.stop() }
        let portFile = NSTemporaryDirectory() + "prompt-eval-\(UUID().uuidString).port"
        let gate = Process()
        gate.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gate.arguments = ["python3", Self.script, "serve", "--port", "0", "--port-file", portFile, "--endpoint", endpoint.address,
                          "--prompts", Self.prompts, "--served-name", "support-{version}"]
        gate.standardOutput = FileHandle.nullDevice
        try gate.run()
        defer {
            kill(gate.processIdentifier, SIGKILL)
            gate.waitUntilExit()
            try? FileManager.default.removeItem(atPath: portFile)
        }
        var port: Int?
        for _ in 0..<100 where port == nil {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            try await Task.sleep(for: .milliseconds(50))
        }
        let url = try #require(port.flatMap { URL(string: "http://127.0.0.1:\($0)/") })
        func ask(_ canary: String) async throws -> (Int, String) {
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.httpBody = Data(#"{"rollout": "support", "gate": "prompt-eval", "point": "beforeRollout", "canary": "\#(canary)", "stable": "2.3.1", "step": 1}"#.utf8)
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        let (goodStatus, goodSaid) = try await ask("2.4.0")
        #expect(goodStatus == 200 && goodSaid.hasPrefix("as good as stable: 2.4.0 5/5"), "\(goodSaid)")
        let (badStatus, badSaid) = try await ask("2.5.0")
        #expect(badStatus == 503 && badSaid.hasPrefix("worse than stable: 2.5.0 1/5 against 2.3.1 5/5"), "\(badSaid)")
    }
}
