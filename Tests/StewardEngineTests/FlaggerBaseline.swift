import StewardEngine
import StewardSimulation
import StewardSpec

/// The common alternative, for comparison: Flagger's analysis. Every minute
/// each metric is checked on its own latest window (one `interval` long)
/// against the same thresholds (relative ones against stable's same
/// window); a window with no data counts as a failure; five failed checks
/// in a row of a critical metric roll back; traffic moves to the next step
/// when the step's pause is over and the latest checks all passed.
struct FlaggerBaseline: RolloutController {
    let rollout: Rollout
    let steps: [CanaryStep]
    let metrics: [MetricSpec]
    /// Failed checks in a row that roll back: Flagger's `threshold`.
    var failureThreshold = 5

    private(set) var canaryWeight = 0
    private var stepIndex = 0
    private var stepStartedAt: Moment?
    private var failures: [String: Int] = [:]
    /// The last minutes of outcomes, newest last, per version.
    private var recent: [(stable: OutcomeTally?, canary: OutcomeTally?)] = []

    /// Nil unless `name` is a canary rollout.
    init?(desired: DesiredState, rollout name: String, failureThreshold: Int = 5) {
        self.failureThreshold = failureThreshold
        guard let rollout = desired.rollouts[name], case .canary(let strategy) = rollout.strategy else { return nil }
        self.rollout = rollout
        steps = strategy.steps
        metrics = desired.metrics(of: rollout).filter { $0.severity == .critical }
    }

    var heldAtDeadline: Bool { false }
    var standing: [String] { ["step \(stepIndex + 1), canary at \(canaryWeight)%, failures \(failures)"] }

    mutating func minutePassed(stable: OutcomeTally?, canary: OutcomeTally?, now: Moment) -> RolloutEnd? {
        if canaryWeight > 0 {
            recent.append((stable, canary))
            if recent.count > 60 { recent.removeFirst() }
            var allPassed = true
            for metric in metrics {
                if check(metric) {
                    failures[metric.name] = 0
                } else {
                    allPassed = false
                    failures[metric.name, default: 0] += 1
                    if failures[metric.name]! >= failureThreshold {
                        canaryWeight = 0
                        return .rolledBack(reason: "\(metric.name) failed \(failureThreshold) checks in a row")
                    }
                }
            }
            guard allPassed else { return nil }
        }
        return walk(now)
    }

    /// Walks the steps as far as the time allows.
    private mutating func walk(_ now: Moment) -> RolloutEnd? {
        while stepIndex < steps.count {
            switch steps[stepIndex].action {
            case .setWeight(let weight):
                canaryWeight = weight
            case .pause(let duration?):
                let started = stepStartedAt ?? now
                stepStartedAt = started
                guard now.since(started) >= duration.seconds else { return nil }
            case .pause(nil), .analysis:
                break // a person resumes at once; the checks just passed
            }
            stepIndex += 1
            stepStartedAt = nil
        }
        return .promoted
    }

    /// Whether the metric's latest window is within its threshold.
    private func check(_ metric: MetricSpec) -> Bool {
        guard let measure = metric.ingestMeasure else { return false }
        let minutes = max(1, Int(metric.interval.seconds / 60))
        let window = recent.suffix(minutes)
        guard let canary = value(measure, window.map(\.canary)) else { return false }
        var value = canary
        if metric.failWhen.relativeTo == .stable {
            guard let stable = self.value(measure, window.map(\.stable)) else { return false }
            value = stable > 0 ? canary / stable : (canary > 0 ? .infinity : 1)
        }
        return metric.failWhen.comparison == .above ? value <= metric.failWhen.threshold : value >= metric.failWhen.threshold
    }

    /// The measure over some minutes, or nil with no data.
    private func value(_ measure: IngestMeasure, _ minutes: [OutcomeTally?]) -> Double? {
        var total = OutcomeTally()
        for minute in minutes.compactMap({ $0 }) { total.add(minute) }
        guard let statistics = total.statistics(for: measure), statistics.samples > 0 else { return nil }
        if case .latency(let histogram) = statistics { return histogram.quantile(measure.quantile ?? 0.95) }
        return statistics.estimate
    }
}
