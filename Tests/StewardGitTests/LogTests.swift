import Foundation
import Testing
@testable import StewardGit

@Suite struct LogTests {
    @Test func logParsesTrailersAndFiltersByPath() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.commit(["rollouts/r.yaml": "stable: 1.0.0\n", "README.md": "x"], message: "start")
        try fixture.commit(["README.md": "y"], message: "docs only")
        try fixture.commit(["rollouts/r.yaml": "stable: 1.1.0\n"], message: """
            Promote r to 1.1.0

            Steward-Action: promote
            Steward-Rollout: r
            Steward-Reason: all steps passed, 3 analyses
            """)
        let repo = try Repository.open(fixture.path)
        let head = try repo.resolveCommit("HEAD")
        let all = try repo.log(from: head)
        #expect(all.map(\.subject) == ["Promote r to 1.1.0", "docs only", "start"])
        #expect(all[0].trailer(.action) == "promote")
        #expect(all[0].trailer(.reason) == "all steps passed, 3 analyses")
        #expect(all[0].changedPaths == ["rollouts/r.yaml"])
        #expect(all[2].changedPaths == ["README.md", "rollouts/r.yaml"])
        #expect(all[1].trailers.isEmpty)
        #expect(try repo.log(from: head, paths: ["rollouts"]).map(\.subject) == ["Promote r to 1.1.0", "start"])
        #expect(try repo.log(from: head, limit: 1).count == 1)
        // The same trailers git itself reads.
        #expect(try fixture.git(["log", "-1", "--format=%(trailers:key=Steward-Rollout,valueonly)"]).hasPrefix("r"))
    }
}
