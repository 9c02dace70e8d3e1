import Testing
import StewardSpec

@Suite struct ValueTests {
    @Test func semanticVersionsParseAndOrder() throws {
        #expect(SemanticVersion("2.3.1") == SemanticVersion(2, 3, 1))
        #expect(SemanticVersion("1.0.0-rc.1+build.5")?.prerelease == ["rc", "1"])
        for bad in ["1.1", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0-01", "1..0", "a.b.c", ""] {
            #expect(SemanticVersion(bad) == nil, "\(bad) should not parse")
        }
        let ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                       "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.10.0", "2.0.0"].compactMap(SemanticVersion.init)
        #expect(ordered.count == 10)
        #expect(ordered.shuffled().sorted() == ordered)
    }

    @Test func durationsParse() {
        #expect(StewardDuration("1h30m")?.seconds == 5400)
        #expect(StewardDuration("500ms")?.seconds == 0.5)
        #expect(StewardDuration("7d")?.seconds == 604_800)
        #expect(StewardDuration("2 hours") == nil)
        #expect(StewardDuration("") == nil)
        #expect(StewardDuration("10") == nil)
        #expect(StewardDuration(seconds: 5400).description == "1h30m")
    }

    @Test func lifecycleMovesForwardOnly() {
        #expect(LifecycleStatus.candidate.canMove(to: .production))
        #expect(!LifecycleStatus.archived.canMove(to: .production))
        #expect(!LifecycleStatus.development.canMove(to: .production))
        #expect(LifecycleStatus.candidate.canBeCanary)
        #expect(!LifecycleStatus.development.canBeCanary)
        #expect(!LifecycleStatus.archived.canBeStable)
    }
}

@Suite struct DurationLimitTests {
    @Test func aDurationPastAHundredYearsIsNotADuration() {
        #expect(StewardDuration("99999999999999999999d") == nil)
        #expect(StewardDuration("36500d") != nil)
        #expect(StewardDuration(seconds: 1e300).description == "∞")
    }
}
