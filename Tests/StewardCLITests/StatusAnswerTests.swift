import Foundation
import StewardEngine
import StewardSpec
import Testing
import StewardTesting

/// `steward status --agent URL` against answers that are not an agent's:
/// before, an HTTP 404 and valid JSON with a fraction where a whole number
/// belongs were both "not valid JSON", and a 300 MB answer was read whole.
@Suite(.serialized) struct StatusAnswerTests {
    /// Serves `/<name>/v1/status` from `<dir>/<name>.json`; `/missing/…` is a 404 and `/huge/…` streams 40 MB.
    final class AnswerServer {
        let process = Process()
        let port: Int
        let dir = NSTemporaryDirectory() + "steward-answers-" + UUID().uuidString

        init(_ answers: [String: String]) throws {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for (name, body) in answers { try body.write(toFile: "\(dir)/\(name).json", atomically: true, encoding: .utf8) }
            port = try freePort()
            let script = """
                import http.server, os, sys
                folder = sys.argv[2]
                class S(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        name = self.path.strip("/").split("/")[0]
                        if name == "huge":
                            self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
                            self.wfile.write(b'{"ready": true, "invalidDiagnostics": ["')
                            try:
                                for _ in range(40): self.wfile.write(b"x" * (1 << 20))
                            except BrokenPipeError: pass
                            return
                        path = os.path.join(folder, name + ".json")
                        if not os.path.exists(path):
                            body = b"404 page not found\\n"
                            self.send_response(404); self.send_header("Content-Length", str(len(body))); self.end_headers()
                            self.wfile.write(body); return
                        body = open(path, "rb").read()
                        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
                        self.wfile.write(body)
                    def log_message(self, *a): pass
                http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), S).serve_forever()
                """
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, "\(port)", dir]
            try process.run()
            // Ready once it accepts a connection.
            for _ in 0..<100 {
                if let socket = try? AgentConnectionTests.connect(port: port) {
                    close(socket)
                    break
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }

        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    @Test func answersThatAreNotAnAgentsStatusSayWhatTheyAre() throws {
        // A real status with a fraction where the step's whole number belongs.
        let status = RolloutStatus.starting(SemanticVersion(2, 4, 0), over: SemanticVersion(2, 3, 1), at: Moment(secondsSinceEpoch: 1_800_000_000))
        var rollout = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(status)) as? [String: Any])
        rollout["name"] = "chat"
        rollout["stepIndex"] = 1.5
        let report: [String: Any] = ["ready": true, "invalidDiagnostics": [], "rollouts": [rollout], "decisions": []]
        let fraction = String(decoding: try JSONSerialization.data(withJSONObject: report), as: UTF8.self)
        let server = try AnswerServer(["fraction": fraction])
        let cli = CommandLineTests()
        let missing = try cli.steward(["status", "--agent", "http://127.0.0.1:\(server.port)/missing"])
        #expect(missing.status == 2)
        #expect(missing.error.contains("answered HTTP 404 to GET /v1/status: 404 page not found"), "\(missing.error)")
        let wrong = try cli.steward(["status", "--agent", "http://127.0.0.1:\(server.port)/fraction"])
        #expect(wrong.status == 2)
        #expect(wrong.error.contains("'rollouts', item 1, 'stepIndex': expected a whole number"), "\(wrong.error) \(fraction.prefix(600))")
        #expect(!wrong.error.contains("not valid JSON"))
        let huge = try cli.steward(["status", "--agent", "http://127.0.0.1:\(server.port)/huge"])
        #expect(huge.status == 2)
        #expect(huge.error.contains("the answer is larger than 16 MiB"), "\(huge.error)")
    }
}
