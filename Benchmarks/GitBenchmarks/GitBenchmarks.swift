import Benchmark
import Foundation
import StewardGit

/// StewardGit on a local repository of 1,000 YAML files and a bare remote;
/// `Benchmarks/git_cli_comparison.sh` times the git CLI doing the same.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(5), maxIterations: 200)

    guard let fixture = try? GitBenchFixture() else {
        print("GitBenchmarks: could not build the fixture repositories (is git installed?)")
        return
    }
    let options = RemoteOptions(url: fixture.remote)
    let agent = Signature(name: "Steward", email: "steward@example.com")
    let mirror = try! Repository.create(fixture.root + "/mirror.git", bare: true)
    _ = try! mirror.fetch(options, branch: "main")

    Benchmark("fetch, nothing new (local bare remote)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try mirror.fetch(options, branch: "main"))
        }
    }

    Benchmark("read a 1,000-file commit (first read, no cache)") { benchmark in
        for _ in benchmark.scaledIterations {
            let repository = try Repository.open(fixture.root + "/mirror.git")
            let tip = try repository.resolveCommit("refs/remotes/steward/main")
            blackHole(try repository.yamlFiles(at: tip))
        }
    }

    var round = 0
    Benchmark("edit commit + push to a local bare remote") { benchmark in
        for _ in benchmark.scaledIterations {
            round += 1
            let text = Array("stable: 1.\(round).0\n".utf8)
            blackHole(try mirror.publish(to: options, branch: "main") { (tip) throws(GitError) -> ObjectID in
                try mirror.createCommit(parent: tip, changes: ["rollouts/rollout-0.yaml": .write(text)],
                                        message: CommitMessage(subject: "bench \(round)"), author: agent, committer: agent)
            })
        }
    }
}

/// A work tree with 1,000 YAML files in one commit, pushed to a bare remote.
struct GitBenchFixture {
    let root: String
    let remote: String

    init() throws {
        root = NSTemporaryDirectory() + "steward-gitbench-" + UUID().uuidString
        remote = root + "/remote.git"
        let work = root + "/work"
        try FileManager.default.createDirectory(atPath: work + "/rollouts", withIntermediateDirectories: true)
        for i in 0..<1_000 {
            try "apiVersion: steward/v1\nkind: Rollout\nmetadata: {name: r\(i)}\nspec: {model: m\(i), stable: 1.0.0}\n"
                .write(toFile: work + "/rollouts/rollout-\(i).yaml", atomically: false, encoding: .utf8)
        }
        try Self.git(["init", "-q", "--bare", "-b", "main", remote], in: root)
        try Self.git(["init", "-q", "-b", "main"], in: work)
        try Self.git(["add", "-A"], in: work)
        try Self.git(["-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "1,000 files"], in: work)
        try Self.git(["push", "-q", remote, "main"], in: work)
    }

    static func git(_ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
