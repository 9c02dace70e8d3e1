import Testing
import StewardEngine
import StewardSpec

@Suite struct ExperimentTests {
    func experiment(weights: (Int, Int) = (50, 50), onWinner: String = "promote", metric: String = "error-rate") -> String {
        baseYAML() + rolloutDocument(canary: nil, strategy: """
                experiment:
                  variants:
                    - {version: 1.0.0, weight: \(weights.0)}
                    - {version: 1.1.0, weight: \(weights.1)}
                  analysis: {templates: [checks]}
                  primaryMetric: \(metric)
                  minSamplesPerVariant: 2000
                  confidence: 0.95
                  onWinner: \(onWinner)
                  maxDuration: 7d
            """)
    }

    /// Cumulative readings after `minutes`: 100 requests a minute in all, split by `shares`.
    func readings(minutes: Int, shares: (Double, Double), errorRates: (Double, Double), at now: Moment) -> Evidence {
        var evidence = Evidence()
        for (version, share, rate) in [(v100, shares.0, errorRates.0), (v110, shares.1, errorRates.1)] {
            evidence.record(MetricReading(metric: "error-rate", version: version, windowStart: now + Double(-minutes * 60),
                                          windowEnd: now, value: rate, samples: Int(Double(minutes * 100) * share)))
        }
        return evidence
    }

    @Test func startsBySplittingTraffic() throws {
        var s = try Scenario(experiment())
        let actions = s.tick()
        #expect(actions.first == .setSplit(rollout: "r", shares: [VariantShare(version: v100, percent: 50), VariantShare(version: v110, percent: 50)]))
    }

    /// Before: an experiment promoted its winner whenever it was found, change
    /// windows or not (only canaries asked them). Every strategy's promotion
    /// now passes one checkpoint: the winner waits for the window to open.
    @Test func aWinnerFoundOutsideTheChangeWindowsWaitsForOne() throws {
        // Mondays 09:00–17:00 UTC; 2027-01-04 is a Monday.
        var s = try Scenario(experiment() + changeWindowPolicy(#"{days: [mon], start: "09:00", end: "17:00", timeZone: UTC}"#))
        let monday = Moment(secondsSinceEpoch: 1_799_020_800)
        s.now = monday + 9.5 * 3600
        s.tick()
        #expect(s.observed["r"]?.split.count == 2)
        // At 18:00 the evidence names a winner (3.5% against 2.0% over 5,100 requests each), but the window is closed.
        s.now = monday + 18 * 3600
        let closed = s.tick(readings(minutes: 510, shares: (0.5, 0.5), errorRates: (0.035, 0.02), at: s.now))
        #expect(!closed.contains { if case .promote = $0 { true } else { false } }, "\(closed)")
        #expect(s.observed["r"]?.phase == .progressing)
        // The next Monday at 09:30 it goes.
        s.now = monday + 7 * 86_400 + 9.5 * 3600
        let open = s.tick(readings(minutes: 7 * 1440, shares: (0.5, 0.5), errorRates: (0.035, 0.02), at: s.now))
        #expect(open.compactMap(promoted) == ["1.1.0 <- 1.0.0"], "\(open)")
    }

    @Test func aRealDifferenceFindsTheWinner() throws {
        var s = try Scenario(experiment())
        s.tick()
        // 3.5% vs 2.0% errors over 5,000 requests each.
        for minute in stride(from: 10, through: 100, by: 10) {
            s.now = s.now + 600
            s.tick(readings(minutes: minute, shares: (0.5, 0.5), errorRates: (0.035, 0.02), at: s.now))
        }
        let promotions = s.actions { if case .promote = $0 { true } else { false } }
        #expect(promotions.compactMap { promoted($0.action) } == ["1.1.0 <- 1.0.0"])
        // Not before each variant had its 2,000 samples (40 minutes).
        #expect((promotions.first?.at ?? 0) >= 40 * 60)
    }

    @Test func noDifferenceFindsNoWinner() throws {
        var s = try Scenario(experiment(onWinner: "report"))
        s.tick()
        for minute in stride(from: 10, through: 200, by: 10) {
            s.now = s.now + 600
            s.tick(readings(minutes: minute, shares: (0.5, 0.5), errorRates: (0.025, 0.0252), at: s.now))
        }
        #expect(s.actions { if case .promote = $0 { true } else { false } }.isEmpty)
        #expect(s.actions { if case .notify = $0 { true } else { false } }.isEmpty)
        #expect(s.observed["r"]?.phase == .progressing)
    }

    @Test func reportOnlyNamesTheWinner() throws {
        var s = try Scenario(experiment(onWinner: "report"))
        s.tick()
        s.now = s.now + 6000
        s.tick(readings(minutes: 100, shares: (0.5, 0.5), errorRates: (0.035, 0.02), at: s.now))
        let notes = s.actions { if case .notify = $0 { true } else { false } }.map(\.action)
        #expect(notes.count == 1)
        guard case .notify(_, let message)? = notes.first else { return }
        // The estimate of the difference (a rate ratio) with its anytime-valid interval.
        #expect(message.hasPrefix("experiment winner 1.1.0: error-rate 1.1.0 vs 1.0.0 0.571 x stable ("), "\(message)")
        #expect(message.hasSuffix("5000 samples"), "\(message)")
    }

    @Test func aSixtyFortySplitConfiguredAsFiftyFiftyIsInvalid() throws {
        var s = try Scenario(experiment())
        s.tick()
        s.now = s.now + 6000
        s.tick(readings(minutes: 100, shares: (0.6, 0.4), errorRates: (0.03, 0.02), at: s.now))
        #expect(s.observed["r"]?.phase == .degraded)
        #expect(s.observed["r"]?.pauseReason?.hasPrefix("sample ratio mismatch: 6000/4000 samples for a 50/50 split") == true)
        #expect(s.actions { if case .promote = $0 { true } else { false } }.isEmpty)
    }

    @Test func continuousMetricsNeedAStandardDeviation() throws {
        var s = try Scenario(experiment(metric: "latency"))
        s.tick()
        s.now = s.now + 6000
        var evidence = Evidence()
        for (version, mean) in [(v100, 900.0), (v110, 850.0)] {
            evidence.record(MetricReading(metric: "latency", version: version, windowStart: s.start, windowEnd: s.now,
                                          value: mean, samples: 5000, standardDeviation: 300))
        }
        s.tick(evidence)
        #expect(s.actions { if case .promote = $0 { true } else { false } }.compactMap { promoted($0.action) } == ["1.1.0 <- 1.0.0"])
    }
}
