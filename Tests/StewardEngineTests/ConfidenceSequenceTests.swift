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

    /// The first look at which `rejects` holds along one seeded sequence, or nil.
    static func firstRejection(looks: Int, _ step: (Int) -> Bool) -> Int? {
        (0..<looks).first(where: step)
    }

    @Test func theOneSidedRateTestErrsAtMostAlphaAtItsThresholdAndDecidesSoonerThanTheInterval() {
        var rng = SeededRandom(seed: 14)
        var rejectedAtThreshold = 0
        for _ in 0..<Self.sequences {
            var events = 0.0, trials = 0.0
            // The worst case of the null "at most 5%": exactly 5%.
            let rejected = Self.firstRejection(looks: 200) { _ in
                trials += 25
                events += Double(rng.binomial(25, 0.05))
                return ConfidenceSequence.rateLogEvidence(beyond: 0.05, above: true, events: events, trials: trials) >= log(1 / Self.alpha)
            }
            if rejected != nil { rejectedAtThreshold += 1 }
        }
        #expect(Double(rejectedAtThreshold) / Double(Self.sequences) <= Self.allowed, "\(rejectedAtThreshold) of \(Self.sequences)")
        // On a regression (8% against a 5% limit) it decides sooner than the two-sided interval on the same requests.
        var oneSided = 0, interval = 0
        for _ in 0..<100 {
            var events = 0.0, trials = 0.0, seenOneSided: Int?, seenInterval: Int?
            for look in 0..<400 where seenInterval == nil {
                trials += 25
                events += Double(rng.binomial(25, 0.08))
                if seenOneSided == nil, ConfidenceSequence.rateLogEvidence(beyond: 0.05, above: true, events: events, trials: trials) >= log(1 / 0.001) {
                    seenOneSided = look
                }
                if ConfidenceSequence.rate(events: events, trials: trials, alpha: 0.001, priorMean: 0.05).lower > 0.05 { seenInterval = look }
            }
            oneSided += seenOneSided ?? 400
            interval += seenInterval ?? 400
        }
        #expect(oneSided < interval, "\(oneSided) looks against \(interval)")
        // A rate below its limit gives no evidence against it; one event against a zero limit is proof.
        #expect(ConfidenceSequence.rateLogEvidence(beyond: 0.05, above: true, events: 10, trials: 1_000) < 0)
        #expect(ConfidenceSequence.rateLogEvidence(beyond: 0, above: true, events: 1, trials: 10) == .infinity)
        #expect(ConfidenceSequence.rateLogEvidence(beyond: 0.3, above: false, events: 10, trials: 1_000) > log(1 / 0.001))
    }

    @Test func theBetaTailAgreesWithNumericalIntegration() {
        for (x, a, b) in [(0.05, 1.0, 19.0), (0.05, 31.0, 619.0), (0.3, 2.5, 4.0), (0.02, 200.0, 9_800.0), (0.05, 4_000.0, 96_000.0)] {
            // The midpoint rule over a fine grid of the density, on each side of x.
            func density(_ q: Double) -> Double { exp((a - 1) * log(q) + (b - 1) * log1p(-q) - ConfidenceSequence.logBeta(a, b)) }
            let cells = 400_000
            var below = 0.0, above = 0.0
            for i in 0..<cells {
                let q = (Double(i) + 0.5) / Double(cells)
                if q <= x { below += density(q) } else { above += density(q) }
            }
            below /= Double(cells); above /= Double(cells)
            let upper = exp(ConfidenceSequence.logBetaTail(x, a, b, upper: true))
            let lower = exp(ConfidenceSequence.logBetaTail(x, a, b, upper: false))
            #expect(abs(upper - above) < 1e-3 && abs(lower - below) < 1e-3, "x \(x), a \(a), b \(b): \(upper) \(above), \(lower) \(below)")
            #expect(abs(upper + lower - 1) < 1e-9)
        }
    }

    @Test func theOneSidedMeanTestErrsAtMostAlphaAtItsThresholdAndDecidesSoonerThanTheInterval() {
        var rng = SeededRandom(seed: 15)
        var rejectedAtThreshold = 0, oneSided = 0, interval = 0
        for sequence in 0..<Self.sequences {
            // Ratings at the limit 3.5 (the worst case of "at least 3.5"), then, for the speed, at 3.3.
            let truth = sequence < Self.sequences / 2 ? 3.5 : 3.3
            var count = 0.0, sum = 0.0, squares = 0.0, seenOneSided: Int?, seenInterval: Int?
            for look in 0..<100 where seenInterval == nil {
                for _ in 0..<20 {
                    let x = truth + 0.8 * rng.normal()
                    count += 1; sum += x; squares += x * x
                }
                let mean = sum / count, variance = (squares - count * mean * mean) / (count - 1) / count
                let tau = max(0.35, variance.squareRoot())
                let alpha = truth == 3.5 ? Self.alpha : 0.001
                if seenOneSided == nil, ConfidenceSequence.gaussianLogEvidence(distance: 3.5 - mean, variance: variance, tau: tau) >= log(1 / alpha) {
                    seenOneSided = look
                }
                if ConfidenceSequence.gaussian(estimate: mean, variance: variance, alpha: alpha, tau: tau).upper < 3.5 { seenInterval = look }
                if truth == 3.5, seenOneSided != nil { break }
            }
            if truth == 3.5 { rejectedAtThreshold += seenOneSided == nil ? 0 : 1 } else {
                oneSided += seenOneSided ?? 100
                interval += seenInterval ?? 100
            }
        }
        #expect(Double(rejectedAtThreshold) / Double(Self.sequences / 2) <= Self.allowed + 0.02, "\(rejectedAtThreshold) of \(Self.sequences / 2)")
        #expect(oneSided < interval, "\(oneSided) looks against \(interval)")
    }

    @Test func zeroEventsAmongManyTrialsBoundTheRateFromAbove() {
        let interval = ConfidenceSequence.rate(events: 0, trials: 10_000, alpha: 0.01, priorMean: 0.02)
        #expect(interval.lower == 0)
        #expect(interval.upper < 0.002)
        // One event is evidence against a zero rate at once.
        #expect(ConfidenceSequence.rate(events: 1, trials: 10, alpha: 0.01, priorMean: 0.02).lower > 0)
    }
}
