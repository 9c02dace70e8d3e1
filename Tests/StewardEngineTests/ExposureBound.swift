import Foundation
import StewardEngine
import StewardSimulation
import StewardSpec

/// The fewest requests any analysis could let a regressed canary serve
/// before rolling it back, whatever it looks at and however it moves the
/// traffic: Wald's bound on the expected sample size of a sequential test
/// (Wald, "Sequential Analysis", 1947, eq. 4:81). A test that rolls back a
/// canary sitting exactly at the threshold with probability at most α, and
/// this regression with probability 1 − β, needs on average at least
/// [(1 − β)·ln((1 − β)/α) + β·ln(β/(1 − α))] / KL canary requests, KL being
/// the information one request carries (the Kullback–Leibler divergence of
/// the true rate from the threshold's). Knowing stable's rate exactly, as
/// this does, only makes a test faster, so the bound holds for ours too.
///
/// It covers the scenarios where one rate (errors, hallucinations, safety
/// violations) regressed from the first minute, so that every canary
/// request is a bad one; the other regressions add to any total beyond it.
enum ExposureBound {
    /// The bound for `scenario`, or nil when it is not a constant rate regression.
    static func canaryRequests(_ scenario: TrafficScenario, metrics: [MetricSpec], alpha: Double, beta: Double) -> Double? {
        guard scenario.regression, scenario.events.count == 1, let event = scenario.events.first, event.target == .canary,
              event.from == 0, event.to == nil, event.minWeight == 0, !event.drift, !event.gap, event.set.count == 1,
              let field = event.set.first,
              let (measure, stableRate) = rate(field.field, scenario.stable),
              let metric = metrics.first(where: { $0.ingestMeasure == measure && $0.severity == .critical }),
              metric.failWhen.comparison == .above else { return nil }
        let threshold = metric.failWhen.relativeTo == .stable ? metric.failWhen.threshold * stableRate : metric.failWhen.threshold
        let truth = field.value
        guard truth > threshold, threshold > 0, threshold < 1 else { return nil }
        let information = truth * log(truth / threshold) + (1 - truth) * log((1 - truth) / (1 - threshold))
        let evidence = (1 - beta) * log((1 - beta) / alpha) + beta * log(beta / (1 - alpha))
        return evidence / information
    }

    /// The measure a scenario's behaviour field is read as, with stable's rate of it.
    private static func rate(_ field: String, _ stable: TrafficScenario.Behaviour) -> (IngestMeasure, Double)? {
        switch field {
        case "errorRate": (.errorRate, stable.errorRate)
        case "hallucinationRate": (.hallucinationRate, stable.hallucinationRate)
        case "safetyRate": (.safetyViolations, stable.safetyRate)
        default: nil
        }
    }
}
