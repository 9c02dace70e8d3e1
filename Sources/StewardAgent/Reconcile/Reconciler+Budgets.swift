import Foundation
import StewardEngine
import StewardSpec
import StewardStore
import Synchronization

extension Reconciler {
    /// What each model with a budget has cost in the current period of each
    /// of its budgets (UTC days, weeks from Monday, calendar months), from the
    /// outcomes the agent took in: the engine weighs it against the budgets.
    /// Days that ended over two hours ago are summed once and remembered,
    /// and the sums are taken again at most once a minute (rounds for new
    /// outcomes come far more often, and a budget is no second-by-second matter).
    func spend(_ desired: DesiredState, at now: Date) async throws -> [String: [Budget.Period: Double]] {
        if let last = lastSpend, now.timeIntervalSince(last.at) < 60, now >= last.at { return last.spent }
        var spent: [String: [Budget.Period: Double]] = [:]
        for modelName in Set(desired.rollouts.values.map(\.model)).sorted() {
            let periods = Set(desired.policies.values.filter { $0.applies(to: modelName) }.flatMap(\.budgets).map(\.period))
            guard !periods.isEmpty, let model = desired.models[modelName] else { continue }
            let versions = model.versions.map(\.version.description)
            for period in periods {
                var total = 0.0
                var day = Self.periodStart(period, of: now)
                while day <= now.timeIntervalSince1970 {
                    total += try await cost(of: modelName, versions: versions, day: day, now: now.timeIntervalSince1970)
                    day += 86_400
                }
                spent[modelName, default: [:]][period] = total
            }
        }
        lastSpend = (now, spent)
        return spent
    }

    /// One UTC day's cost of a model's versions (up to now for today).
    private func cost(of model: String, versions: [String], day: Double, now: Double) async throws -> Double {
        let key = "\(model)\u{0}\(versions.joined(separator: ","))\u{0}\(Int(day))"
        if let known = closedDays.withLock({ $0[key] }) { return known }
        var total = 0.0
        for version in versions {
            total += try await store.outcomes.tally(model: model, version: version, from: day, to: min(day + 86_400, now + 1)).cost.sum
        }
        // A day long over takes no more outcomes: its total is kept (at most a year of days).
        if day + 86_400 + 7_200 < now {
            closedDays.withLock { days in
                if days.count > 400 { days.removeAll() }
                days[key] = total
            }
        }
        return total
    }

    /// When the period that holds `now` began, in seconds since the epoch (UTC).
    static func periodStart(_ period: Budget.Period, of now: Date) -> Double {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        calendar.firstWeekday = 2
        let start: Date? = switch period {
        case .day: calendar.startOfDay(for: now)
        case .week: calendar.dateInterval(of: .weekOfYear, for: now)?.start
        case .month: calendar.dateInterval(of: .month, for: now)?.start
        }
        return (start ?? calendar.startOfDay(for: now)).timeIntervalSince1970
    }
}
