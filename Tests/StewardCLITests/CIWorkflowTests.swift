import Foundation
import StewardTesting
import Testing

/// `examples/ci/steward.yml`, the GitHub Actions workflow the README tells
/// people to copy, run step by step as a runner would: its own `run:` text,
/// with the runner's files and variables, in a pull request's checkout, and
/// its plan comment posted to a GitHub API stand-in on loopback.
@Suite(.serialized) struct CIWorkflowTests {
    static let workflow = CommandLineTests.root + "/examples/ci/steward.yml"

    /// A step's `run:` text and shell, read from the workflow with PyYAML.
    static func step(_ id: String) throws -> (run: String, shell: String) {
        let script = """
            import json, sys, yaml
            steps = yaml.safe_load(open(sys.argv[1]))["jobs"]["plan"]["steps"]
            step = next(s for s in steps if s.get("id") == sys.argv[2])
            print(json.dumps({"run": step["run"], "shell": step.get("shell", "bash")}))
            """
        let out = try run(["python3", "-c", script, workflow, id], in: CommandLineTests.root, environment: [:]).output
        let step = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: String]
        return (step["run"]!, step["shell"]!)
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: String, environment: [String: String]) throws -> (status: Int32, output: String) {
        try Subprocess.run(arguments, in: directory, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    }

    /// Runs one step of the workflow as the runner would: bash -e, or its shell with the text as a file.
    static func runStep(_ id: String, in directory: String, environment: [String: String]) throws -> (status: Int32, output: String) {
        let step = try step(id)
        #expect(!step.run.contains("${{"), "the test runs the text as it is; expressions belong in env:")
        if step.shell == "bash" { return try run(["bash", "-e", "-c", step.run], in: directory, environment: environment) }
        let file = environment["RUNNER_TEMP"]! + "/\(id).script"
        try step.run.write(toFile: file, atomically: true, encoding: .utf8)
        let shell = step.shell.replacingOccurrences(of: " {0}", with: "").split(separator: " ").map(String.init)
        return try run(shell + [file], in: directory, environment: environment)
    }

    /// GitHub's issue-comment API, as much as the workflow uses, on a free loopback port.
    final class GitHubStandIn {
        let process = Process()
        let port: Int
        let log: String

        init(dir: String) throws {
            log = dir + "/api.log"
            let script = """
                import http.server, json, sys
                comments, log = [], open(sys.argv[1], "a", buffering=1)
                class API(http.server.BaseHTTPRequestHandler):
                    def reply(self, value):
                        data = json.dumps(value).encode()
                        self.send_response(200); self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
                    def body(self):
                        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                    def note(self, body=None):
                        log.write(json.dumps({"method": self.command, "path": self.path,
                                              "auth": self.headers.get("Authorization"), "body": body}) + "\\n")
                    def do_GET(self):
                        self.note(); self.reply(comments)
                    def do_POST(self):
                        body = self.body(); self.note(body)
                        n = len(comments) + 1
                        url = "http://%s:%d/repos/acme/models/issues/comments/%d" % (*self.server.server_address, n)
                        comments.append({"id": n, "url": url, "html_url": "https://example.com/c/%d" % n, "body": body["body"]})
                        self.reply(comments[-1])
                    def do_PATCH(self):
                        body = self.body(); self.note(body)
                        comment = comments[int(self.path.rsplit("/", 1)[1]) - 1]
                        comment["body"] = body["body"]; self.reply(comment)
                    def log_message(self, *args): pass
                server = http.server.HTTPServer(("127.0.0.1", 0), API)
                open(sys.argv[2], "w").write(str(server.server_address[1]))
                server.serve_forever()
                """
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, log, dir + "/api.port"]
            try process.run()
            for _ in 0..<100 where (try? String(contentsOfFile: dir + "/api.port", encoding: .utf8)).flatMap({ Int($0) }) == nil {
                Thread.sleep(forTimeInterval: 0.05)
            }
            guard let port = (try? String(contentsOfFile: dir + "/api.port", encoding: .utf8)).flatMap({ Int($0) }) else {
                kill(process.processIdentifier, SIGKILL)
                throw CocoaError(.fileReadNoSuchFile)
            }
            self.port = port
        }

        var requests: [[String: Any]] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// A registry whose `main` has no canary, and a pull request that starts one.
    static func pullRequest(in dir: String) throws -> String {
        let repo = dir + "/repo"
        try FileManager.default.copyItem(atPath: CommandLineTests.root + "/examples/quickstart", toPath: repo)
        let rollout = repo + "/rollouts/customer-support-agent.yaml"
        let withCanary = try String(contentsOfFile: rollout, encoding: .utf8)
        try withCanary.replacingOccurrences(of: "  canary: 2.4.0\n", with: "").write(toFile: rollout, atomically: true, encoding: .utf8)
        let git = { (arguments: [String]) throws in
            try run(["git", "-c", "user.name=Priya", "-c", "user.email=priya@example.com", "-c", "commit.gpgsign=false"] + arguments,
                    in: repo, environment: [:])
        }
        try git(["init", "-q", "-b", "main"])
        try git(["add", "-A"])
        try git(["commit", "-qm", "Registry"])
        // What actions/checkout leaves: the base branch as a remote-tracking ref.
        try git(["update-ref", "refs/remotes/origin/main", "main"])
        try git(["checkout", "-qb", "start-canary"])
        try withCanary.write(toFile: rollout, atomically: true, encoding: .utf8)
        try git(["commit", "-qam", "Start canary 2.4.0"])
        return repo
    }

    @Test func thePullRequestIsValidatedPlannedAndCommentedOnOnce() throws {
        let dir = NSTemporaryDirectory() + "steward-ci-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/runner", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = try Self.pullRequest(in: dir)
        let api = try GitHubStandIn(dir: dir)
        let binDir = URL(fileURLWithPath: CommandLineTests.binary).deletingLastPathComponent().path
        let environment = [
            "PATH": binDir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "RUNNER_TEMP": dir + "/runner", "GITHUB_OUTPUT": dir + "/runner/output", "GITHUB_STEP_SUMMARY": dir + "/runner/summary",
            "BASE": "origin/main", "GITHUB_API_URL": "http://127.0.0.1:\(api.port)", "GITHUB_REPOSITORY": "acme/models",
            "PR_NUMBER": "7", "GITHUB_TOKEN": "ghs_test",
        ]

        let validate = try Self.runStep("validate", in: repo, environment: environment)
        #expect(validate.status == 0 && !validate.output.contains("::error"), "\(validate.output)")

        let plan = try Self.runStep("plan", in: repo, environment: environment)
        #expect(plan.status == 0)
        let summary = try String(contentsOfFile: dir + "/runner/summary", encoding: .utf8)
        #expect(summary.contains("### 📋 steward plan") && summary.contains("| Rollout customer-support-agent | starts: 2.4.0 as canary of 2.3.1"), "\(summary)")
        #expect(try String(contentsOfFile: dir + "/runner/output", encoding: .utf8).contains("changes=true"))

        // The first run posts the comment; a second push updates it instead of adding another.
        for _ in 0..<2 {
            let comment = try Self.runStep("comment", in: repo, environment: environment)
            #expect(comment.status == 0, "\(comment.output)")
        }
        let requests = api.requests
        #expect(requests.map { $0["method"] as? String } == ["GET", "POST", "GET", "PATCH"], "\(requests)")
        #expect(requests.allSatisfy { $0["auth"] as? String == "Bearer ghs_test" })
        #expect(requests[1]["path"] as? String == "/repos/acme/models/issues/7/comments")
        #expect(requests[3]["path"] as? String == "/repos/acme/models/issues/comments/1")
        let posted = (requests[1]["body"] as? [String: Any])?["body"] as? String ?? ""
        #expect(posted.hasPrefix("<!-- steward-plan -->\n### 📋 steward plan") && posted.contains("starts: 2.4.0 as canary of 2.3.1"), "\(posted)")
    }

    @Test func aBrokenFileBecomesAnAnnotationAndFailsTheJob() throws {
        let dir = NSTemporaryDirectory() + "steward-ci-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/runner", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = try Self.pullRequest(in: dir)
        let rollout = repo + "/rollouts/customer-support-agent.yaml"
        try (try String(contentsOfFile: rollout, encoding: .utf8)).replacingOccurrences(of: "  canary: 2.4.0\n", with: "  canary: 2.4.0\n  canary: 2.4.1\n")
            .write(toFile: rollout, atomically: true, encoding: .utf8)
        let binDir = URL(fileURLWithPath: CommandLineTests.binary).deletingLastPathComponent().path
        let environment = ["PATH": binDir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"), "RUNNER_TEMP": dir + "/runner",
                           "GITHUB_OUTPUT": dir + "/runner/output", "GITHUB_STEP_SUMMARY": dir + "/runner/summary", "BASE": "origin/main"]
        let validate = try Self.runStep("validate", in: repo, environment: environment)
        #expect(validate.status == 1)
        #expect(validate.output.contains("::error file=rollouts/customer-support-agent.yaml,line=10,col=3,title=steward%3A yaml-syntax::duplicate key"), "\(validate.output)")
        // Planning it fails too, and says why in the summary people read.
        let plan = try Self.runStep("plan", in: repo, environment: environment)
        #expect(plan.status == 1)
        let summary = try String(contentsOfFile: dir + "/runner/summary", encoding: .utf8)
        #expect(summary.contains("### ❌ steward plan failed") && summary.contains("duplicate key 'canary'"), "\(summary)")
    }
}
