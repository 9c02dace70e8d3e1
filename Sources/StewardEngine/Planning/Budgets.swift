import StewardSpec

/// The budgets of the policies that select the rollout's model, against
/// what its requests cost in each budget's current period (`Evidence.spent`,
/// summed by the agent): said in the status every round, warned of once a
/// budget passes its `warnAt` share and once at its limit, and, for a budget
/// whose action is `hold`, no traffic moved toward a canary that costs more
/// per request than stable while the limit is reached.
extension RolloutRound {
    /// Each budget that applies, with what was spent in its period so far.
    var budgets: [(budget: Budget, spent: Double)] {
        desired.policies.keys.sorted().compactMap { desired.policies[$0] }.filter { $0.applies(to: rollout.model) }
            .flatMap(\.budgets).map { ($0, evidence.spent[rollout.model]?[$0.period] ?? 0) }
    }

    /// What holds a forward move for the budgets: one at its limit with
    /// action `hold`, while the canary is not known to cost no more than stable.
    func budgetHolds() -> [HoldCause] {
        budgets.filter { $0.budget.action == .hold && $0.spent >= $0.budget.maxCost && !canaryCostsNoMore }
            .map { HoldCause(kind: .budget, metric: nil, said: "the \($0.budget.period.rawValue)'s budget is spent (\(Self.spend($0.spent, of: $0.budget))): "
                                                                + "no traffic moves toward a canary that costs more per request than stable") }
    }

    /// Whether a cost metric's evidence puts the canary's cost per request at or below stable's.
    private var canaryCostsNoMore: Bool {
        guard let canary = status.canary, let since = status.exposure.first?.at else { return false }
        for metric in metrics(rollout.analysisReferences) where metric.spec.ingestMeasure == .costPerRequest {
            guard let canaryCost = evidence.pooled(metric: metric.name, version: canary, from: since, to: now)?.estimate,
                  let stableCost = evidence.pooled(metric: metric.name, version: status.stable, from: since, to: now)?.estimate else { continue }
            return canaryCost <= stableCost
        }
        return false
    }

    /// Says each budget's spend in the status, and warns once per level reached (`warnAt`, the limit).
    mutating func noteBudgets() {
        let budgets = self.budgets
        status.spend = budgets.map { "\($0.budget.period.rawValue): \(Self.spend($0.spent, of: $0.budget))" }
        var reached: [String] = []
        for (budget, spent) in budgets {
            let level = spent >= budget.maxCost ? "limit" : spent >= budget.warnAt * budget.maxCost ? "warning" : nil
            guard let level else { continue }
            let key = "\(budget.period.rawValue) \(level)"
            reached.append(key)
            guard !status.budgetWarnings.contains(key) else { continue }
            let what = level == "limit" ? "has reached its limit" : "has passed \(Int((budget.warnAt * 100).rounded()))%"
            actions.append(.alert(rollout: name, reason: "the \(budget.period.rawValue)'s budget for \(rollout.model) \(what): \(Self.spend(spent, of: budget))"
                                  + (level == "limit" && budget.action == .hold ? "; traffic holds back from a costlier canary" : "")))
        }
        status.budgetWarnings = reached
    }

    /// `812.40 of 1000 USD (81%)`.
    static func spend(_ spent: Double, of budget: Budget) -> String {
        let cents = (spent * 100).rounded() / 100
        return "\(cents) of \(Verdict.format(budget.maxCost)) \(budget.currency) (\(Int((spent / budget.maxCost * 100).rounded()))%)"
    }
}
