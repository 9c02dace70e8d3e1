import Foundation
import Testing
import StewardTesting

/// The README cannot rot: its walk for a newcomer's own repository is run
/// block by block, and every `steward` command it shows anywhere names a
/// command and options that exist.
@Suite(.serialized) struct ReadmeTests {
    static let readme = (try? String(contentsOfFile: CommandLineTests.root + "/README.md", encoding: .utf8)) ?? ""

    /// The code blocks of a part of the README, with their info strings.
    static func blocks(in text: String) -> [(info: String, body: String)] {
        var blocks: [(String, String)] = [], info: String?, body = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                if let open = info { blocks.append((open, body)); info = nil } else { info = String(line.dropFirst(3)); body = "" }
            } else if info != nil {
                body += line + "\n"
            }
        }
        return blocks
    }

    static var walk: String {
        guard let start = readme.range(of: "## Your own repository, step by step"),
              let end = readme.range(of: "The rest of this file is the reference.") else { return "" }
        return String(readme[start.lowerBound..<end.lowerBound])
    }

    /// Every `sh` block of the walk, in order, as one script, in a home
    /// directory of its own with Steward "checked out" at `~/steward`, the
    /// agent's port swapped for a free one. The script runs in a process
    /// group of its own, killed by its id when it is over.
    @Test func theWalkRunsAsWritten() throws {
        let sh = Self.blocks(in: Self.walk).filter { $0.info == "sh" }.map(\.body)
        #expect(sh.count >= 8, "the walk lost its blocks")
        let home = NSTemporaryDirectory() + "steward-walk-" + UUID().uuidString
        let fm = FileManager.default
        try fm.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: home) }
        try fm.createSymbolicLink(atPath: home + "/steward", withDestinationPath: CommandLineTests.root)
        try "[user]\n\tname = Priya\n\temail = priya@example.com\n".write(toFile: home + "/.gitconfig", atomically: true, encoding: .utf8)
        let port = try freePort()
        let script = "set -euo pipefail\ntrap '[ -n \"${agent:-}\" ] && kill $agent' EXIT\n"
            + sh.joined(separator: "\n").replacingOccurrences(of: "127.0.0.1:7480", with: "127.0.0.1:\(port)")
        try script.write(toFile: home + "/walk.sh", atomically: true, encoding: .utf8)

        let bin = URL(fileURLWithPath: CommandLineTests.binary).deletingLastPathComponent().path
        let (status, output) = try Subprocess.runInOwnGroup(["bash", home + "/walk.sh"], in: home,
                                                            environment: ["HOME": home, "PATH": bin + ":/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"],
                                                            mergingErrors: true, timeout: 180)

        #expect(status == 0, "\(output)")
        #expect(output.contains("3 resources in 3 files, no problems"), "\(output)")
        #expect(output.contains("starts: 1.1.0 as canary of 1.0.0; canary 10% → pause 15m → 50%"), "\(output)")
        #expect(output.contains("user-42\tbucket "), "\(output)")
        #expect(output.contains("{\"accepted\":1,\"rejected\":[]}"), "\(output)")
        #expect(output.contains("agent: ready"), "\(output)")
        // The audit's line for Priya's unsigned pause: who, `-` in the SIGNED column, what.
        #expect(output.split(separator: "\n").contains { $0.contains("Priya <priya@example.com>  -    ") && $0.contains("Rollout chat: steward.dev/pause set") },
                "\(output)")
        // The agent acted on the merged canary: its status commit is on the remote.
        let log = try CIWorkflowTests.run(["git", "--git-dir", home + "/models.git", "log", "--format=%s"], in: home, environment: [:]).output
        #expect(log.contains("status: chat progressing at step 2, canary at 10%"), "\(log)")
    }

    /// What the walk runs as root is not run here; the files it installs exist.
    @Test func theRootStepsNameFilesThatExist() {
        let root = Self.blocks(in: Self.readme).filter { $0.info == "sh as-root" }.map(\.body).joined()
        #expect(root.contains("systemctl enable --now steward"))
        for path in ["systemd/steward.service", "Makefile"] {
            #expect(FileManager.default.fileExists(atPath: CommandLineTests.root + "/" + path), "\(path)")
        }
    }

    /// Every `steward SUBCOMMAND --option` line in the README's code blocks
    /// names a subcommand and options its `--help` lists.
    @Test func everyCommandShownExists() throws {
        var checked = 0
        for block in Self.blocks(in: Self.readme) {
            for line in block.body.split(separator: "\n") {
                var words = line.split(separator: " ").map(String.init)
                if words.first == "$" { words.removeFirst() }
                guard words.first == "steward" || words.first == ".build/release/steward", words.count > 1 else { continue }
                let sub = words[1].split(separator: "|").first.map(String.init) ?? words[1]
                let help = try CommandLineTests().steward([sub, "--help"])
                #expect(help.status == 0, "README: '\(line)': no command 'steward \(sub)'")
                for option in words.dropFirst(2) where option.hasPrefix("--") {
                    let name = String(option.prefix { $0 != "=" && $0 != "]" })
                    #expect(help.output.contains(name), "README: '\(line)': 'steward \(sub)' has no option \(name)")
                }
                checked += 1
            }
        }
        #expect(checked >= 15, "only \(checked) commands found")
    }
}

