import StewardEngine
import StewardSimulation
import StewardSpec
import Testing

/// Properties over random step lists, evidence and clocks (seeded, so a
/// failure reproduces).
@Suite struct PlannerPropertyTests {
    func randomSteps(_ g: inout SeededRandom) -> String {
        (0..<Int.random(in: 1...6, using: &g)).map { _ in
            switch Int.random(in: 0..<4, using: &g) {
            case 0, 1: "        - setWeight: \(Int.random(in: 0...100, using: &g))"
            case 2: "        - pause: {duration: \(Int.random(in: 1...30, using: &g))m}"
            default: "        - analysis: {templates: [checks]}"
            }
        }.joined(separator: "\n")
    }

    @Test(arguments: 0..<40)
    func invariantsHold(seed: UInt64) throws {
        var g = SeededRandom(seed: seed)
        var s = try Scenario(baseYAML(errorRateLimit: Int.random(in: 1...3, using: &g)) + rolloutYAML(steps: randomSteps(&g)))
        let registry: Set<SemanticVersion> = [SemanticVersion(0, 9, 0), v100, v110, v120]
        var canaryWeight = 0
        for _ in 0..<Int.random(in: 20...120, using: &g) {
            s.now = s.now + Double(Int.random(in: 10...300, using: &g))
            var evidence = Evidence()
            if let status = s.observed["r"] {
                for version in [status.stable] + (status.canary.map { [$0] } ?? []) {
                    for metric in ["error-rate", "latency", "cost"] where Int.random(in: 0..<5, using: &g) > 0 {
                        evidence.record(MetricReading(
                            metric: metric, version: version, windowStart: s.now + -60, windowEnd: s.now,
                            value: metric == "error-rate" ? Double.random(in: 0...0.08, using: &g) : Double.random(in: 1...3, using: &g),
                            samples: Int.random(in: 0...400, using: &g)))
                    }
                }
            }
            let before = s.observed["r"]
            let first = Planner.plan(desired: s.desired, observed: s.observed, evidence: evidence, now: s.now)
            // Planning is a function of its input.
            #expect(first == Planner.plan(desired: s.desired, observed: s.observed, evidence: evidence, now: s.now))
            let actions = s.tick(evidence)
            // Executed actions converge: the same input again asks for nothing.
            #expect(s.tick(evidence).isEmpty)
            for action in actions {
                guard case .setWeights(_, let stable, let canary, let weight) = action else { continue }
                // Weights always make 100, and only registry versions get traffic.
                #expect((0...100).contains(weight))
                #expect(registry.contains(stable))
                if let canary { #expect(registry.contains(canary)) }
                // Traffic moves forward only on passing evidence, or, after widenAfter without it, while every
                // verdict's estimate is on the good side and none leans to failure.
                if let before, canary != nil, weight > canaryWeight, canaryWeight > 0 {
                    let after = s.observed["r"]!
                    let widened = actions.contains { if case .notify(_, let m) = $0 { m.hasPrefix("the evidence has not come") } else { false } }
                    for (name, verdict) in after.verdicts {
                        if widened {
                            #expect(weight < 100 && !verdict.leaning && verdict.estimateOnGoodSide != false, "\(name): \(verdict)")
                        } else {
                            #expect(verdict.outcome == .pass, "\(name) was \(verdict.outcome) when weight rose to \(weight)")
                        }
                    }
                    #expect(before.canary == canary)
                }
                canaryWeight = canary == nil ? 0 : weight
            }
        }
    }
}
