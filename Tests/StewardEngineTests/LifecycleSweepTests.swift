import StewardEngine
import StewardSpec
import StewardYAML
import Testing

/// The retention and deprecation sweep on a simulated calendar.
@Suite struct LifecycleSweepTests {
    static let registry = """
        apiVersion: steward/v1
        kind: Policy
        metadata: {name: default}
        spec:
          keepProductionVersions: 2
          retention:
            development: {maxAge: 30d, maxVersions: 2}
            deprecated: {maxVersions: 1}
            archived: {maxAge: 365d}
          deprecation: {noticePeriod: 14d, archiveAfter: 60d}
        ---
        apiVersion: steward/v1
        kind: Model
        metadata: {name: m}
        spec:
          versions:
            - {version: 0.8.0, baseModel: b, status: archived, since: "2025-01-01"}
            - {version: 0.9.0, baseModel: b, status: archived, since: "2025-01-01"}
            - {version: 0.9.1, baseModel: b, status: archived, since: "2026-01-01", parent: 0.9.0}
            - {version: 1.0.0, baseModel: b, status: deprecated, since: "2026-01-01"}
            - {version: 1.1.0, baseModel: b, status: deprecated}
            - {version: 1.2.0, baseModel: b, status: deprecated, since: "2026-11-20"}
            - {version: 1.3.0, baseModel: b, status: production, since: "2026-02-01"}
            - {version: 1.4.0, baseModel: b, status: production}
            - {version: 1.5.0, baseModel: b, status: production}
            - {version: 1.6.0, baseModel: b, status: candidate, created: "2020-01-01"}
            - {version: 2.0.0, baseModel: b, status: development, created: "2026-10-01"}
            - {version: 2.1.0, baseModel: b, status: development, created: "2026-11-20"}
            - {version: 2.2.0, baseModel: b, status: development, created: "2026-12-01"}
            - {version: 2.3.0, baseModel: b, status: development, created: "2026-12-05"}
        """ + rolloutDocument(canary: "1.6.0", stable: "1.4.0", strategy: "    canary:\n      steps: [{setWeight: 50}]")

    static func state() throws -> DesiredState {
        let loaded = DesiredStateLoader().load([SourceFile(path: "registry.yaml", bytes: Array(registry.utf8))])
        #expect(loaded.diagnostics.filter { $0.severity == .error }.map(\.description) == [])
        return loaded.state
    }

    static func day(_ text: String) throws -> Moment {
        Moment(secondsSinceEpoch: try #require(UTCDate(text)).secondsSinceEpoch)
    }

    @Test func datesAreReadAndWrittenAsTheRegistryWritesThem() throws {
        #expect(UTCDate("2026-12-07")?.text == "2026-12-07T00:00:00Z")
        #expect(UTCDate("2024-02-29T23:59:30Z")?.text == "2024-02-29T23:59:30Z")
        #expect(UTCDate("2026-03-01T08:30Z")?.secondsSinceEpoch == (UTCDate("2026-03-01")?.secondsSinceEpoch ?? 0) + 8.5 * 3600)
        for bad in ["2026-02-29", "2026-13-01", "2026-12-07T25:00Z", "2026-12-07T08:00:00+01:00", "07/12/2026", "2026-1-7"] {
            #expect(UTCDate(bad) == nil, "\(bad)")
        }
        let loaded = DesiredStateLoader().load([SourceFile(path: "m.yaml", bytes: Array("""
            apiVersion: steward/v1
            kind: Model
            metadata: {name: m}
            spec:
              versions:
                - {version: 1.0.0, baseModel: b, status: deprecated, since: "last week"}
            """.utf8))])
        #expect(loaded.diagnostics.map(\.description).contains { $0.contains("m.yaml:6") && $0.contains("since: 'last week' is not a date") },
                "\(loaded.diagnostics)")
    }

    @Test func theRulesRetireWhatIsDueAndLeaveServingAndFastRollbackVersionsAlone() throws {
        let state = try Self.state()
        let now = try Self.day("2026-12-07")
        let schedule = LifecycleSweep.schedule(state, statuses: [:], now: now)
        let due = schedule.due(at: now).map(\.description)
        #expect(due == [
            // A year archived; 0.9.0 stays (0.9.1 names it as its parent), 0.9.1 is not a year archived yet.
            "m 0.8.0 archived → removed (retention.archived.maxAge 365d)",
            // Past its archive date, and the older of two deprecated versions (maxVersions 1).
            "m 1.0.0 deprecated → archived (deprecation.archiveAfter 60d)",
            // Neither the stable (1.4.0) nor the newest production (1.5.0, 1.4.0: keepProductionVersions 2).
            "m 1.3.0 production → deprecated (keepProductionVersions 2)",
            // 30 days after it was created.
            "m 2.0.0 development → archived (retention.development.maxAge 30d)",
            // Two newer development versions (maxVersions 2).
            "m 2.1.0 development → archived (retention.development.maxVersions 2)",
        ], "\(due)")
        // One sweep does what those make due in turn: 1.3.0 deprecated today leaves 1.2.0 beyond maxVersions 1, and
        // its 14 days' notice (since 2026-11-20) has run.
        #expect(LifecycleSweep.due(state, statuses: [:], now: now).map(\.description) == due
            + ["m 1.2.0 deprecated → archived (retention.deprecated.maxVersions 1)"])
        let upcoming = schedule.transitions.filter { $0.due > now }.map { "\($0) on \($0.due.utcText.prefix(10))" }
        #expect(upcoming == [
            "m 0.9.1 archived → removed (retention.archived.maxAge 365d) on 2027-01-01",
            "m 1.2.0 deprecated → archived (deprecation.archiveAfter 60d) on 2027-01-19",
            "m 2.2.0 development → archived (retention.development.maxAge 30d) on 2026-12-31",
            "m 2.3.0 development → archived (retention.development.maxAge 30d) on 2027-01-04",
        ], "\(upcoming)")
        // 1.1.0 has no date: the deprecation timeline cannot start, and people are told.
        #expect(schedule.undated == ["m 1.1.0 (deprecated)"])
        // The canary (1.6.0, a candidate created long ago), the stable and the serving versions are never listed.
        let touched = Set(schedule.transitions.map(\.version.description))
        #expect(touched.isDisjoint(with: ["1.4.0", "1.5.0", "1.6.0"]))
    }

    @Test func aVersionServingTrafficIsHeldEvenWhenTheRolloutNoLongerNamesIt() throws {
        var state = try Self.state()
        state.rollouts["r"]?.stable = SemanticVersion(1, 5, 0)
        let now = try Self.day("2026-12-07")
        let status = RolloutStatus.settled(on: SemanticVersion(1, 3, 0), at: now)
        let due = LifecycleSweep.schedule(state, statuses: ["r": status], now: now).due(at: now)
        #expect(!due.contains { $0.version == SemanticVersion(1, 3, 0) }, "the agent still routes to 1.3.0: \(due)")
    }

    @Test func aDeprecatedVersionGetsItsFullNoticeWhateverTheCountSays() throws {
        var state = try Self.state()
        // A third deprecated version, newer than 1.2.0: the count rule now reaches 1.2.0, deprecated on 2026-11-20.
        let index = try #require(state.models["m"]?.versions.firstIndex { $0.version == SemanticVersion(1, 3, 0) })
        state.models["m"]?.versions[index].status = .deprecated
        state.models["m"]?.versions[index].since = UTCDate("2026-12-01")
        let now = try Self.day("2026-12-01")
        let schedule = LifecycleSweep.schedule(state, statuses: [:], now: now)
        let forTwelve = try #require(schedule.transitions.first { $0.version == SemanticVersion(1, 2, 0) })
        #expect(forTwelve.rule == "retention.deprecated.maxVersions 1")
        #expect(forTwelve.due.utcText.hasPrefix("2026-12-04"), "14 days after 2026-11-20: \(forTwelve.due.utcText)")
        #expect(!schedule.due(at: now).contains(forTwelve))
        #expect(schedule.due(at: try Self.day("2026-12-04")).contains(forTwelve))
    }

    /// A model keeps a version: its newest, archived however long ago, stays.
    @Test func theLastVersionOfAModelIsNeverRemoved() throws {
        let loaded = DesiredStateLoader().load([SourceFile(path: "r.yaml", bytes: Array("""
            apiVersion: steward/v1
            kind: Policy
            metadata: {name: default}
            spec:
              retention:
                archived: {maxAge: 30d}
            ---
            apiVersion: steward/v1
            kind: Model
            metadata: {name: old}
            spec:
              versions:
                - {version: 1.0.0, baseModel: b, status: archived, since: "2020-01-01"}
                - {version: 1.1.0, baseModel: b, status: archived, since: "2020-01-01"}
            """.utf8))])
        let due = LifecycleSweep.due(loaded.state, statuses: [:], now: try Self.day("2026-12-07"))
        #expect(due.map(\.description) == ["old 1.0.0 archived → removed (retention.archived.maxAge 30d)"])
    }

    /// A person who moves a version's status by hand is told when `since`
    /// still dates the old status (the rules would count from it).
    @Test func planSaysWhenAStatusChangeKeepsTheOldDate() throws {
        let base = try Self.state()
        var head = base
        let index = try #require(head.models["m"]?.versions.firstIndex { $0.version == SemanticVersion(1, 3, 0) })
        head.models["m"]?.versions[index].status = .deprecated
        let kept = ChangePlanner.compare(base: base, head: head).filter { $0.kind == .statusChanged }.map(\.summary)
        #expect(kept == ["production → deprecated; since is still 2026-02-01, from production: set it to the day of this change"], "\(kept)")
        head.models["m"]?.versions[index].since = UTCDate("2026-12-07")
        #expect(ChangePlanner.compare(base: base, head: head).filter { $0.kind == .statusChanged }.map(\.summary) == ["production → deprecated"])
    }

    @Test func theEditsSetTheStatusAndStampTheDay() throws {
        let state = try Self.state()
        let now = try Self.day("2026-12-07")
        let due = LifecycleSweep.due(state, statuses: [:], now: now)
        let edits = LifecycleSweep.edits(due, desired: state, now: now)
        let bytes = Array(Self.registry.utf8)
        let editor = try YAMLEditor(source: bytes, file: "registry.yaml")
        let text = try TextEdit.apply(try edits.map { edit -> TextEdit in
            switch edit.change {
            case .set(let value): try editor.replaceScalar(at: edit.path, inDocument: edit.documentIndex, with: value)
            case .put(let value): try editor.setEntry(edit.path, to: value, inDocument: edit.documentIndex)
            case .remove: try editor.removeEntry(at: edit.path, inDocument: edit.documentIndex)
            }
        }, to: bytes)
        let after = DesiredStateLoader().load([SourceFile(path: "registry.yaml", bytes: text)])
        #expect(after.diagnostics.filter { $0.severity == .error }.map(\.description) == [])
        let versions = try #require(after.state.models["m"]?.versions)
        for transition in due {
            guard transition.to != nil else {
                #expect(!versions.contains { $0.version == transition.version }, "\(transition)")
                continue
            }
            let version = try #require(versions.first { $0.version == transition.version })
            #expect(version.status == transition.to && version.since == UTCDate("2026-12-07"), "\(transition)")
        }
        // Nothing else moved, and the sweep on the result finds nothing more due that day.
        #expect(LifecycleSweep.schedule(after.state, statuses: [:], now: now).due(at: now).isEmpty)
        #expect(String(decoding: text, as: UTF8.self).contains("- {version: 1.0.0, baseModel: b, status: archived, since: \"2026-12-07\"}"))
    }
}
