import StewardSpec
import Synchronization

/// Pooling a span as it grows, so that a replay over a long series is
/// linear: each round asks for the same spans again, the current one a
/// little longer, and pooling all of its windows afresh every round made
/// `simulate --metrics` grow with the square of the series. Windows of one
/// metric of one version are found by halves when they were recorded in
/// order of their end, and a span's pooled state is kept and extended by
/// the windows that arrived since (the same left fold, so the same result).
final class SpanIndex: Sendable {
    struct Question: Hashable {
        var metric: String
        var version: SemanticVersion
        var from: Moment
        var asRate: Bool
        var minimumWindowSamples: Double
    }

    /// A span's windows folded so far.
    struct Partial: Sendable {
        /// The first window of the metric's list not yet looked at.
        var next: Int
        var to: Moment
        var total: MetricStatistics?
        var mismatched = false
        var weak = 0
        var weakRequests = 0.0
        /// The window inside with the latest end (the first of equals).
        var latest: MetricReading?

        init(next: Int, to: Moment) {
            self.next = next
            self.to = to
        }

        /// Folds in the windows from `next` whose end is at most `to`, those starting at `from` or later.
        mutating func extend(_ windows: [MetricReading], from: Moment, to: Moment, asRate: Bool, minimumWindowSamples: Double) {
            while next < windows.count, windows[next].windowEnd <= to {
                defer { next += 1 }
                let window = windows[next]
                guard window.windowStart >= from else { continue }
                if latest.map({ window.windowEnd > $0.windowEnd }) ?? true { latest = window }
                let statistics = window.statistics
                guard statistics.isWellFormed else { continue }
                if case .windows(_, _, _, let samples) = statistics, samples < minimumWindowSamples {
                    weak += 1
                    weakRequests += statistics.samples
                    continue
                }
                let part = asRate ? statistics.asRate : statistics
                guard !mismatched else { continue }
                if let sum = total {
                    if let merged = sum.merged(with: part) { total = merged } else { mismatched = true }
                } else {
                    total = part
                }
            }
            self.to = to
        }

        var result: (statistics: MetricStatistics?, latestMalformed: Bool, setAside: (windows: Int, requests: Double)) {
            guard let latest else { return (nil, false, (0, 0)) }
            guard latest.statistics.isWellFormed else { return (nil, true, (0, 0)) }
            return (mismatched ? nil : total, false, (weak, weakRequests))
        }
    }

    private struct Kept {
        var spans: [Question: Partial] = [:]
        /// The furthest end any kept span of a metric of a version reaches: a window past it disturbs none.
        var furthest: [Series: Moment] = [:]
    }

    private struct Series: Hashable {
        var metric: String
        var version: SemanticVersion
    }

    private let kept = Mutex(Kept())

    /// The index of the first window whose end is at `from` or later (a window starting there ends there or later).
    static func firstEnding(atOrAfter from: Moment, in windows: [MetricReading]) -> Int {
        var low = 0, high = windows.count
        while low < high {
            let middle = (low + high) / 2
            if windows[middle].windowEnd < from { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The span's pooled state up to `to`, from what was kept when it can be extended.
    func span(_ question: Question, to: Moment, windows: [MetricReading]) -> Partial {
        var partial = kept.withLock { $0.spans[question] }.flatMap { $0.to <= to ? $0 : nil }
            ?? Partial(next: Self.firstEnding(atOrAfter: question.from, in: windows), to: to)
        partial.extend(windows, from: question.from, to: to, asRate: question.asRate, minimumWindowSamples: question.minimumWindowSamples)
        kept.withLock { kept in
            kept.spans[question] = partial
            let series = Series(metric: question.metric, version: question.version)
            kept.furthest[series] = max(kept.furthest[series] ?? to, to)
        }
        return partial
    }

    /// Forgets what was kept of spans a new window of `metric` of `version`, ending at `end`, falls inside.
    func windowArrived(metric: String, version: SemanticVersion, end: Moment) {
        let series = Series(metric: metric, version: version)
        kept.withLock { kept in
            guard let furthest = kept.furthest[series], furthest >= end else { return }
            kept.spans = kept.spans.filter { $0.key.metric != metric || $0.key.version != version || $0.value.to < end }
            kept.furthest[series] = kept.spans.filter { $0.key.metric == metric && $0.key.version == version }.map(\.value.to).max()
        }
    }
}
