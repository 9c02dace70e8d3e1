import StewardEngine
import StewardSimulation
import StewardSpec
import Testing

/// Experiments checked every minute on pooled evidence: an A/A test must
/// not find a winner more often than 1 − confidence; a real difference must
/// be found.
@Suite struct ExperimentSimulationTests {
    func experiment() throws -> Scenario {
        try Scenario(baseYAML() + rolloutDocument(canary: nil, strategy: """
                experiment:
                  variants:
                    - {version: 1.0.0, weight: 50}
                    - {version: 1.1.0, weight: 50}
                  analysis: {templates: [checks]}
                  primaryMetric: error-rate
                  minSamplesPerVariant: 1000
                  confidence: 0.95
                  onWinner: report
                  maxDuration: 7d
            """))
    }

    /// Minutes until a winner is named (nil for none in `minutes`), with
    /// 1,500 requests a minute per variant at these error rates.
    func minutesToWinner(rates: (Double, Double), seed: UInt64, minutes: Int = 120) throws -> Int? {
        try run(rates: rates, seed: seed, minutes: minutes).winnerAt
    }

    /// A run: when a winner was named, and whether the variant was ever shown
    /// better, or worse, than the control (each a false finding in an A/A test).
    func run(rates: (Double, Double), seed: UInt64, minutes: Int = 120) throws -> (winnerAt: Int?, shownBetter: Bool, shownWorse: Bool) {
        var shownBetter = false, shownWorse = false
        var s = try experiment()
        var rng = SeededRandom(seed: seed)
        s.tick()
        for minute in 1...minutes {
            let windowStart = s.now
            s.now = s.now + 60
            for (version, rate) in [(v100, rates.0), (v110, rates.1)] {
                let errors = rng.binomial(1500, rate)
                s.evidence.record(MetricReading(metric: "error-rate", version: version, windowStart: windowStart, windowEnd: s.now,
                                                statistics: .rate(events: Double(errors), trials: 1500)))
            }
            s.tick(s.evidence)
            for verdict in (s.observed["r"]?.verdicts ?? [:]).values where verdict.outcome == .pass {
                if (verdict.value ?? 1) < 1 { shownBetter = true } else { shownWorse = true }
            }
            if s.observed["r"]?.phase == .healthy { return (minute, shownBetter, shownWorse) }
        }
        return (nil, shownBetter, shownWorse)
    }

    @Test func anAATestRarelyNamesAWinner() throws {
        let runs = 40
        let winners = try (0..<runs).filter { try minutesToWinner(rates: (0.05, 0.05), seed: UInt64($0)) != nil }.count
        // 1 − confidence is 5%: at most 2 of 40 (the old per-minute z-test named one in 40 of 40).
        #expect(winners <= 2, "\(winners) of \(runs)")
    }

    /// Both sides: an A/A test shows the variant better than the control, or
    /// worse, each in at most 1 − confidence of runs (5%: 20 of 400).
    @Test func anAATestRarelyShowsADifferenceEitherWay() throws {
        let runs = try (0..<400).map { try run(rates: (0.05, 0.05), seed: 500 + UInt64($0)) }
        let better = runs.filter(\.shownBetter).count, worse = runs.filter(\.shownWorse).count
        print("A/A, 400 runs: the variant shown better in \(better), worse in \(worse)")
        #expect(better <= 20 && worse <= 20, "better \(better), worse \(worse) of 400")
    }

    @Test func aRealDifferenceIsFound() throws {
        let runs = 40
        let times = try (0..<runs).compactMap { try minutesToWinner(rates: (0.05, 0.04), seed: 1000 + UInt64($0)) }
        #expect(Double(times.count) / Double(runs) >= 0.9, "\(times.count) of \(runs)")
        let median = times.sorted()[times.count / 2]
        print("5% against 4% errors at 1,500 requests a minute per variant: found in \(times.count) of \(runs) runs, median \(median) minutes")
        #expect(median <= 60)
    }
}
