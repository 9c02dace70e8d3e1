import Foundation
@testable import StewardEngine
import StewardSimulation
import Testing

/// Confidence sequences may be checked after every batch of requests: under
/// the null, the chance of *ever* rejecting stays within α. Each test
/// monitors seeded sequences continuously and counts how many ever reject.
@Suite struct ConfidenceSequenceTests {
    static let sequences = 400
    static let alpha = 0.05

    /// The allowed share of false rejections: α plus three standard errors of the simulation.
    static var allowed: Double { alpha + 3 * (alpha * (1 - alpha) / Double(sequences)).squareRoot() }

    @Test func rateCoverageUnderContinuousMonitoring() {
        var rng = SeededRandom(seed: 11)
        var rejected = 0
        for _ in 0..<Self.sequences {
            var events = 0.0, trials = 0.0
            for _ in 0..<200 {
                trials += 25
                events += Double(rng.binomial(25, 0.05))
                let interval = ConfidenceSequence.rate(events: events, trials: trials, alpha: Self.alpha, priorMean: 0.05)
                if interval.lower > 0.05 || interval.upper < 0.05 { rejected += 1; break }
            }
        }
        #expect(Double(rejected) / Double(Self.sequences) <= Self.allowed, "\(rejected) of \(Self.sequences)")
        // And the intervals do narrow: with 5,000 trials the width is a few points at most.
        let late = ConfidenceSequence.rate(events: 250, trials: 5000, alpha: Self.alpha, priorMean: 0.05)
        #expect(late.upper - late.lower < 0.03)
    }

    @Test func rateRatioCoverageUnderContinuousMonitoringEvenWhenTheCommonRateMoves() {
        var rng = SeededRandom(seed: 12)
        var rejectedAbove = 0, rejectedInterval = 0
        for _ in 0..<Self.sequences {
            var spans: [ConfidenceSequence.SplitCounts] = []
            var everAbove = false, everOutside = false
            for minute in 0..<180 {
                // The split moves 5% → 15% → 35%, and an incident triples the rate for both versions.
                let share = minute < 60 ? 0.05 : minute < 120 ? 0.15 : 0.35
                if minute == 0 || minute == 60 || minute == 120 {
                    spans.append(.init(canaryEvents: 0, canaryTrials: 0, stableEvents: 0, stableTrials: 0))
                }
                let rate = (90..<110).contains(minute) ? 0.03 : 0.01
                let canary = rng.binomial(300, share), stable = 300 - canary
                spans[spans.count - 1].canaryTrials += Double(canary)
                spans[spans.count - 1].stableTrials += Double(stable)
                spans[spans.count - 1].canaryEvents += Double(rng.binomial(canary, rate))
                spans[spans.count - 1].stableEvents += Double(rng.binomial(stable, rate))
                // Looked at every third minute (every minute is the same, only slower in a debug build).
                guard minute % 3 == 2, let evidence = ConfidenceSequence.rateRatio(spans, alphas: [Self.alpha], priorRatio: 1) else { continue }
                everAbove = everAbove || evidence.logEvidenceAbove >= log(1 / Self.alpha)
                everOutside = everOutside || evidence.intervals[0].lower > 1 || evidence.intervals[0].upper < 1
            }
            if everAbove { rejectedAbove += 1 }
            if everOutside { rejectedInterval += 1 }
        }
        #expect(Double(rejectedAbove) / Double(Self.sequences) <= Self.allowed, "\(rejectedAbove) of \(Self.sequences)")
        #expect(Double(rejectedInterval) / Double(Self.sequences) <= Self.allowed, "\(rejectedInterval) of \(Self.sequences)")
    }

    @Test func meanCoverageUnderContinuousMonitoring() {
        var rng = SeededRandom(seed: 13)
        var rejected = 0
        for _ in 0..<Self.sequences {
            var count = 0.0, sum = 0.0, squares = 0.0
            for _ in 0..<100 {
                for _ in 0..<20 {
                    let x = 4.2 + 0.8 * rng.normal()
                    count += 1; sum += x; squares += x * x
                }
                let mean = sum / count, variance = (squares - count * mean * mean) / (count - 1)
                let interval = ConfidenceSequence.gaussian(estimate: mean, variance: variance / count, alpha: Self.alpha,
                                                           tau: max(0.42, (variance / count).squareRoot()))
                if interval.lower > 4.2 || interval.upper < 4.2 { rejected += 1; break }
            }
        }
        #expect(Double(rejected) / Double(Self.sequences) <= Self.allowed, "\(rejected) of \(Self.sequences)")
    }

    @Test func zeroEventsAmongManyTrialsBoundTheRateFromAbove() {
        let interval = ConfidenceSequence.rate(events: 0, trials: 10_000, alpha: 0.01, priorMean: 0.02)
        #expect(interval.lower == 0)
        #expect(interval.upper < 0.002)
        // One event is evidence against a zero rate at once.
        #expect(ConfidenceSequence.rate(events: 1, trials: 10, alpha: 0.01, priorMean: 0.02).lower > 0)
    }
}
