import StewardEngine
import StewardSpec
import StewardYAML
import Testing

/// Which base model a model's `upgrades` picks, from catalogs alone.
@Suite struct UpgradePlannerTests {
    static func state(pick: String, catalog: String, canary: String? = nil) throws -> DesiredState {
        let text = """
            apiVersion: steward/v1
            kind: Policy
            metadata: {name: default}
            spec:
              upgrades:
                sources:
                  - name: vendor
                    catalog:
            \(catalog)
            ---
            apiVersion: steward/v1
            kind: Model
            metadata: {name: m}
            spec:
              upgrades: {track: ["llm-*"], pick: \(pick), ignore: ["llm-*-preview"]}
              versions:
                - {version: 1.0.0, baseModel: llm-2, status: deprecated}
                - {version: 1.1.0, baseModel: llm-3, status: production}
                - {version: 1.2.0, baseModel: llm-3, status: candidate}
            """ + rolloutDocument(canary: canary, stable: "1.1.0", strategy: "    canary:\n      steps: [{setWeight: 50}]")
        let loaded = DesiredStateLoader().load([SourceFile(path: "r.yaml", bytes: Array(text.utf8))])
        #expect(loaded.diagnostics.filter { $0.severity == .error }.map(\.description) == [])
        return loaded.state
    }

    static let now = Moment(secondsSinceEpoch: UTCDate("2026-12-07")!.secondsSinceEpoch)

    @Test func newestByReleaseDateSkipsIgnoredAndRetiredModels() throws {
        let state = try Self.state(pick: "newest", catalog: """
                      - {name: llm-3, released: "2026-01-01"}
                      - {name: llm-3.5, released: "2026-06-01"}
                      - {name: llm-4, released: "2026-09-01", retires: "2026-12-01"}
                      - {name: llm-5-preview, released: "2026-11-01"}
                      - {name: other-9, released: "2026-11-02"}
            """)
        let check = UpgradePlanner.check(state, listings: [:], now: Self.now)
        let proposal = try #require(check.proposals.first, "\(check)")
        // llm-4 has retired, the preview is ignored, other-9 is not tracked; 1.2.0 is taken, so 1.3.0.
        #expect(proposal.baseModel == "llm-3.5" && proposal.version == SemanticVersion(1, 3, 0) && proposal.parent == SemanticVersion(1, 1, 0))
        #expect(proposal.rule == "newest by release date among llm-*" && proposal.branch == "steward/upgrade/m-1.3.0")
    }

    @Test func semverReadsTheNumbersInTheName() throws {
        let state = try Self.state(pick: "semver", catalog: """
                      - {name: llm-3.10}
                      - {name: llm-3.9}
                      - {name: llm-2.99}
            """)
        #expect(UpgradePlanner.check(state, listings: [:], now: Self.now).proposals.map(\.baseModel) == ["llm-3.10"])
    }

    @Test func aRetiringBaseModelProposesItsSuccessorAndARunningCanaryWaits() throws {
        let catalog = """
                      - {name: llm-3, released: "2026-01-01", retires: "2026-12-20", successor: llm-3-turbo}
            """
        let state = try Self.state(pick: "newest", catalog: catalog)
        let check = UpgradePlanner.check(state, listings: [:], now: Self.now)
        #expect(check.proposals.map(\.baseModel) == ["llm-3-turbo"])
        #expect(check.proposals.first?.rule == "successor of llm-3, which retires on 2026-12-20")
        let warnings = UpgradePlanner.retirements(state, now: Self.now).map(\.description)
        #expect(warnings == [
            "m 1.1.0: llm-3 retires on 2026-12-20 (in 13 days), catalog vendor; Rollout r runs it; successor llm-3-turbo",
            "m 1.2.0: llm-3 retires on 2026-12-20 (in 13 days), catalog vendor; successor llm-3-turbo",
        ], "\(warnings)")
        let running = try Self.state(pick: "newest", catalog: catalog, canary: "1.2.0")
        let quiet = UpgradePlanner.check(running, listings: [:], now: Self.now)
        #expect(quiet.proposals.isEmpty && quiet.quiet == ["m: Rollout r is running canary 1.2.0; no proposal until it finishes"], "\(quiet)")
    }

    @Test func globsMatchRunsOfCharacters() {
        #expect(UpgradeTracking.glob("gpt-*-mini", matches: "gpt-5-mini"))
        #expect(UpgradeTracking.glob("*", matches: ""))
        #expect(UpgradeTracking.glob("a*b*c", matches: "aXbYbZc"))
        #expect(!UpgradeTracking.glob("gpt-*-mini", matches: "gpt-5-mini-2026"))
        #expect(!UpgradeTracking.glob("a*a", matches: "a"))
    }
}
