import Foundation
import Testing

/// `make demo`'s story, run the way the README says, non-interactively: the
/// real agent promotes one canary and reverts the other, by commits.
@Suite(.serialized) struct DemoTests {
    @Test func theDemoEndsWithAPromotionAndARevertByTheAgent() async throws {
        let dir = NSTemporaryDirectory() + "steward-demo-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["scripts/demo.sh"]
        process.currentDirectoryURL = URL(fileURLWithPath: CommandLineTests.root)
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["STEWARD_DEMO_FAST": "1", "STEWARD_DEMO_DIR": dir, "STEWARD": CommandLineTests.binary]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Bounded: the story takes about a minute; the script gives up after 150 s.
        let deadline = Date().addingTimeInterval(240)
        let reader = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        let text = String(decoding: await reader.value, as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("The failing canary was at 0% in the routing file"), "\(text)")

        let log = try CommandLineTests().run("/usr/bin/git", ["--git-dir", dir + "/remote.git", "log", "--format=%s%n%(trailers)%n--"]).output
        let commits = log.components(separatedBy: "\n--\n")
        let promotion = commits.first { $0.hasPrefix("Promote customer-support-agent to 2.4.0") }
        let revert = commits.first { $0.hasPrefix("Revert \"Start canary 1.1.1 for code-review-assistant\"") }
        #expect(promotion?.contains("Steward-Action: promote") == true && promotion?.contains("Steward-Observed-Revision: ") == true, "\(log)")
        #expect(revert?.contains("Steward-Action: rollback") == true && revert?.contains("Steward-Reason: error-rate") == true, "\(log)")
        #expect(text.contains("promote Rollout customer-support-agent 2.3.1 → 2.4.0"), "steward audit lists the promotion")
        // The promotion waited for the eval gate: a no, then the yes it was promoted on.
        #expect(text.contains("POST /evals: 503 evals for customer-support-agent 2.4.0 still running")
                && text.contains("POST /evals: 200 40 of 40 evals passed for customer-support-agent 2.4.0"), "\(text)")
        // Nothing the demo started is left running.
        #expect(Self.processes(mentioning: dir).isEmpty)
    }

    /// Pids whose command line names `text`.
    static func processes(mentioning text: String) -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains(text)
        }
    }
}
