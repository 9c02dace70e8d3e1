import StewardEngine
import StewardSpec
import StewardTesting

/// Runs the planner over simulated time, executing its actions the way the
/// agent would (the written status becomes the observed one).
struct Scenario {
    var desired: DesiredState
    var observed: [String: RolloutStatus] = [:]
    var now = Moment(secondsSinceEpoch: 1_800_000_000)
    var timeline: [(at: Double, action: Action)] = []
    /// Every window measured so far: the engine pools them.
    var evidence = Evidence()
    let start: Moment

    /// A scenario over `yaml`, a desired state of one or more documents.
    init(_ yaml: String) throws {
        let result = DesiredStateLoader().load([SourceFile(path: "scenario.yaml", bytes: Array(yaml.utf8))])
        guard result.isValid else { throw ScenarioError.invalid(result.diagnostics.map(\.description)) }
        desired = result.state
        start = now
    }

    enum ScenarioError: Error { case invalid([String]) }

    /// Plans once and applies the actions.
    @discardableResult
    mutating func tick(_ evidence: Evidence = Evidence()) -> [Action] {
        let actions = Planner.plan(desired: desired, observed: observed, evidence: evidence, now: now)
        for action in actions {
            timeline.append((now.since(start), action))
            if case .writeStatus(let rollout, let status) = action { observed[rollout] = status }
        }
        return actions
    }

    /// Advances the clock minute by minute for `minutes`, measuring each
    /// minute's window with `measure(version, weight, minute)`, and keeping
    /// every window as the agent's store would.
    mutating func run(minutes: Int, rollout: String = "r",
                      measure: (SemanticVersion, Int, Int) -> [MetricReading]) {
        for _ in 0..<minutes {
            let windowStart = now
            now = now + 60
            let minute = Int(now.since(start) / 60)
            if let status = observed[rollout] {
                for m in measure(status.stable, 100 - status.canaryWeight, minute) { evidence.record(window(m, windowStart)) }
                if let canary = status.canary {
                    for m in measure(canary, status.canaryWeight, minute) { evidence.record(window(m, windowStart)) }
                }
            }
            tick(evidence)
        }
    }

    private func window(_ m: MetricReading, _ start: Moment) -> MetricReading {
        var m = m
        m.windowStart = start
        m.windowEnd = now
        return m
    }

    var weights: [Int] {
        timeline.compactMap { if case .setWeights(_, _, let canary, let w) = $0.action, canary != nil { w } else { nil } }
    }

    func actions(_ match: (Action) -> Bool) -> [(at: Double, action: Action)] { timeline.filter { match($0.action) } }
}

/// A measurement helper: `metric` with `value`, `samples` in the window.
func measured(_ metric: String, _ version: SemanticVersion, _ value: Double, samples: Int) -> MetricReading {
    MetricReading(metric: metric, version: version, windowStart: Moment(secondsSinceEpoch: 0),
                windowEnd: Moment(secondsSinceEpoch: 0), value: value, samples: samples)
}

func baseYAML(errorRateLimit: Int = 3) -> String {
    Fixtures.model("m", [("0.9.0", "deprecated"), ("1.0.0", "production"), ("1.1.0", "candidate"), ("1.2.0", "candidate")]) + """
    ---
    apiVersion: steward/v1
    kind: AnalysisTemplate
    metadata: {name: checks}
    spec:
      metrics:
        - name: error-rate
          provider: {ingest: {measure: errorRate}}
          failWhen: {above: 0.05}
          minSamples: 100
          interval: 1m
          failureLimit: \(errorRateLimit)
          failureCounting: consecutive
          severity: critical
        - name: latency
          provider: {ingest: {measure: latencyP95}}
          failWhen: {above: 1.5, relativeTo: stable}
          minSamples: 100
          interval: 1m
          severity: critical
        - name: cost
          provider: {ingest: {measure: costPerRequest}}
          failWhen: {above: 2, relativeTo: stable}
          minSamples: 100
          interval: 1m
          severity: warning
    """
}

func rolloutYAML(canary: String? = "1.1.0", stable: String = "1.0.0", steps: String = """
            - setWeight: 5
            - pause: {duration: 10m}
            - setWeight: 15
            - pause: {duration: 10m}
            - analysis: {templates: [checks]}
            - setWeight: 35
            - pause: {duration: 10m}
            - setWeight: 100
    """, deadline: String = "") -> String {
    rolloutDocument(canary: canary, stable: stable, extra: deadline, strategy: """
        canary:
          analysis: {templates: [checks]}
          steps:
    \(steps)
    """)
}

/// Rollout `r` of model `m`; `strategy` is the YAML under `strategy:`,
/// indented by four spaces.
func rolloutDocument(canary: String? = "1.1.0", stable: String = "1.0.0", extra: String = "", strategy: String) -> String {
    """

    ---
    apiVersion: steward/v1
    kind: Rollout
    metadata: {name: r}
    spec:
      model: m
      stable: \(stable)
    \(canary.map { "  canary: \($0)" } ?? "")
    \(extra)
      strategy:
    \(strategy)
    """
}

/// A promotion without its edits, for comparisons: "1.1.0 <- 1.0.0".
func promoted(_ action: Action) -> String? {
    if case .promote(_, let version, let previous, _) = action { "\(version) <- \(previous)" } else { nil }
}

/// A Policy with one change window (flow YAML), to append to a desired state.
func changeWindowPolicy(_ window: String) -> String { """

    ---
    apiVersion: steward/v1
    kind: Policy
    metadata: {name: p}
    spec:
      changeWindows:
        - \(window)
    """
}
