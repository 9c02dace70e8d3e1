import Foundation

/// A rollout's canary weight over time as an inline SVG: a step line from
/// the journal's traffic changes up to now, 0–100% high. No script and no
/// external asset, so it renders wherever the page does.
struct WeightChart {
    /// The traffic changes, oldest first.
    var points: [(time: Date, weight: Int)]
    /// The weight now (the status's), which the line ends at.
    var current: Int
    var now: Date
    /// The shortest span shown, so a walk of one minute is not a vertical line.
    var minimumSpan: TimeInterval = 300

    static let width = 600.0, height = 120.0, left = 36.0, top = 8.0, bottom = 18.0

    var svg: String {
        let start = min(points.first?.time ?? now, now.addingTimeInterval(-minimumSpan))
        let span = max(now.timeIntervalSince(start), 1)
        let plotWidth = Self.width - Self.left - 4, plotHeight = Self.height - Self.bottom - Self.top
        func x(_ t: Date) -> String { Self.number(Self.left + plotWidth * t.timeIntervalSince(start) / span) }
        func y(_ weight: Int) -> String { Self.number(Self.top + plotHeight * (1 - Double(weight) / 100)) }

        // A step line: each weight holds until the next change, the last until now.
        var vertices: [String] = []
        if let first = points.first {
            var weight = first.weight
            vertices.append("\(x(first.time)),\(y(weight))")
            for point in points.dropFirst() {
                vertices += ["\(x(point.time)),\(y(weight))", "\(x(point.time)),\(y(point.weight))"]
                weight = point.weight
            }
            vertices.append("\(x(now)),\(y(weight))")
            if weight != current { vertices.append("\(x(now)),\(y(current))") }
        } else {
            vertices = ["\(x(start)),\(y(current))", "\(x(now)),\(y(current))"]
        }

        let grid = [0, 50, 100].map { w in
            "<line x1=\"\(Self.number(Self.left))\" x2=\"\(Self.number(Self.width - 4))\" y1=\"\(y(w))\" y2=\"\(y(w))\" class=\"grid\"/>"
                + "<text x=\"\(Self.number(Self.left - 4))\" y=\"\(y(w))\" class=\"axis\" text-anchor=\"end\" dominant-baseline=\"middle\">\(w)%</text>"
        }.joined()
        let times = "<text x=\"\(Self.number(Self.left))\" y=\"\(Self.number(Self.height - 4))\" class=\"axis\">\(TimeText.clock(start))</text>"
            + "<text x=\"\(Self.number(Self.width - 4))\" y=\"\(Self.number(Self.height - 4))\" class=\"axis\" text-anchor=\"end\">\(TimeText.clock(now))</text>"
        return """
            <svg class="weights" viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" width="\(Int(Self.width))" height="\(Int(Self.height))" \
            role="img" aria-label="canary weight over time"><title>canary weight over time, now \(current)%</title>\
            \(grid)\(times)<polyline class="weight" points="\(vertices.joined(separator: " "))"/></svg>
            """
    }

    /// One decimal, enough for a pixel.
    static func number(_ value: Double) -> String { String(format: "%.1f", value) }
}
