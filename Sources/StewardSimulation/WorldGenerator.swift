import StewardEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Randomized worlds for closed-loop simulation, drawn from wide ranges so
/// that the analysis is judged on worlds nobody wrote by hand (and so
/// nobody tuned it on): traffic log-uniform over 20–5,000 requests a minute
/// with a daily wave, stable behaviour across its realistic spans, at most
/// one canary problem on one measure (a step, a drift, a burst, or one that
/// shows only at a higher weight) sized from just under to far over the
/// template's threshold, with an onset anywhere from the first minute to
/// after the nominal promotion, and nuisances that are not the canary's:
/// incidents on both versions and gaps in the data. Latency reaches the
/// engine either as histograms or as one number per minute.
///
/// A world does not say whether it is a regression: the template's rules on
/// the true values do, minute by minute (`RegressionRules`).
public enum WorldGenerator {
    /// Five hours: the horizon the suite's figures are counted at.
    public static let minutes = 300

    /// `count` worlds for `rollout`, the same for the same seed.
    public static func draw(seed: UInt64, count: Int, rollout: String) -> [TrafficScenario] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { index in world(index, seed: seed, rollout: rollout, using: &rng) }
    }

    /// The measures a canary problem can hit.
    enum Problem: String, CaseIterable {
        case errors, latency, rating, hallucinations, safety
    }

    enum Shape: String {
        case step, drift, burst, underLoad = "under-load"
    }

    static func world(_ index: Int, seed: UInt64, rollout: String, using rng: inout SeededRandom) -> TrafficScenario {
        func uniform(_ range: ClosedRange<Double>) -> Double { range.lowerBound + (range.upperBound - range.lowerBound) * rng.uniform() }
        func logUniform(_ range: ClosedRange<Double>) -> Double { exp(uniform(log(range.lowerBound)...log(range.upperBound))) }
        func chance(_ p: Double) -> Bool { rng.uniform() < p }
        func minute(_ range: ClosedRange<Double>) -> Int { Int(uniform(range)) }

        let rpm = logUniform(20...5_000)
        var stable = TrafficScenario.Behaviour()
        stable.errorRate = logUniform(0.002...0.03)
        stable.latencyMs = uniform(300...2_500)
        stable.latencySpread = uniform(0.2...0.6)
        stable.rating = uniform(3.8...4.6)
        stable.ratingSD = uniform(0.6...1.1)
        stable.ratingShare = uniform(0.05...0.3)
        stable.hallucinationRate = logUniform(0.002...0.02)
        stable.safetyRate = logUniform(0.0002...0.003)
        stable.cost = logUniform(0.0005...0.01)
        stable.costSD = stable.cost * uniform(0.2...0.5)
        stable.tokens = uniform(200...1_500)
        stable.tokensSD = stable.tokens * uniform(0.2...0.5)

        // A healthy canary differs a little, either way.
        var canary = stable
        canary.errorRate *= uniform(0.8...1.2)
        canary.latencyMs *= uniform(0.85...1.15)
        canary.rating += uniform(-0.15...0.15)
        canary.hallucinationRate *= uniform(0.8...1.2)
        canary.safetyRate *= uniform(0.8...1.2)

        var events: [TrafficScenario.Event] = []
        var name = "healthy"
        var regression = false
        var problemSize: Double?
        if chance(0.55) {
            let problem = Problem.allCases[Int(rng.next() % UInt64(Problem.allCases.count))]
            // The size relative to the threshold's distance: below 1 stays within the rule.
            let size = logUniform(0.7...4)
            regression = size > 1
            problemSize = size
            let field: String, value: Double
            switch problem {
            case .errors: (field, value) = ("errorRate", min(0.9, 0.05 * size))
            case .latency: (field, value) = ("latencyMs", stable.latencyMs * 1.5 * size)
            case .rating: (field, value) = ("rating", max(1, 3.5 - (size - 1) * 0.5))
            case .hallucinations: (field, value) = ("hallucinationRate", min(0.9, stable.hallucinationRate * 2 * size))
            case .safety: (field, value) = ("safetyRate", min(0.9, stable.safetyRate * 2 * size))
            }
            let onset = chance(0.4) ? 0 : minute(1...240)
            let draw = rng.uniform()
            let shape: Shape = draw < 0.55 ? .step : draw < 0.75 ? .drift : draw < 0.9 ? .underLoad : .burst
            var event = TrafficScenario.Event(target: .canary, from: onset, set: [(field, value)])
            switch shape {
            case .step: break
            case .drift:
                event.drift = true
                event.to = onset + minute(20...180)
            case .burst: event.to = onset + minute(5...30)
            case .underLoad: event.minWeight = chance(0.5) ? 15 : 35
            }
            events.append(event)
            name = "\(problem.rawValue)-x\(Verdict.format((size * 100).rounded() / 100))-\(shape.rawValue)-at-\(onset)m"
        }
        if chance(0.2) {
            // An incident upstream: both versions suffer alike for a while.
            let from = minute(0...280), to = from + minute(10...60)
            let set: (String, Double) = switch rng.next() % 4 {
            case 0: ("errorRate", min(0.5, stable.errorRate * uniform(2...6) + 0.02))
            case 1: ("latencyMs", stable.latencyMs * uniform(1.5...3))
            case 2: ("hallucinationRate", stable.hallucinationRate * uniform(2...5))
            default: ("safetyRate", stable.safetyRate * uniform(3...10))
            }
            // First, so that a canary problem (a later event) still shows during the incident rather than being overwritten by it.
            events.insert(.init(target: .both, from: from, to: to, set: [set]), at: 0)
            name += "+incident"
        }
        if chance(0.15) {
            let from = minute(0...250)
            events.append(.init(target: .both, from: from, to: from + minute(5...30), gap: true))
            name += "+gap"
        }
        var world = TrafficScenario(name: "w\(index + 1)-\(name)-\(Int(rpm))rpm", rollout: rollout, minutes: minutes,
                                    requestsPerMinute: rpm, seed: seed &* 1_000_003 &+ UInt64(index), regression: regression,
                                    stable: stable, canary: canary, events: events)
        world.problemSize = problemSize
        world.dailyWave = uniform(0...0.5)
        world.wavePhase = uniform(0...1_440)
        world.latencyAsNumbers = chance(0.5)
        if world.latencyAsNumbers { world.name += "+p95-numbers" }
        return world
    }
}
