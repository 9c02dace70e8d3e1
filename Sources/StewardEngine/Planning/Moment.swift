import StewardSpec

/// A point in time, in seconds since the Unix epoch. The engine never reads
/// a clock: the caller passes the time in, so hours of rollout can run in a
/// test in milliseconds.
public struct Moment: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var secondsSinceEpoch: Double

    public init(secondsSinceEpoch: Double) { self.secondsSinceEpoch = secondsSinceEpoch }

    public static func < (a: Moment, b: Moment) -> Bool { a.secondsSinceEpoch < b.secondsSinceEpoch }

    public static func + (a: Moment, seconds: Double) -> Moment { Moment(secondsSinceEpoch: a.secondsSinceEpoch + seconds) }

    /// Seconds from `earlier` to this moment.
    public func since(_ earlier: Moment) -> Double { secondsSinceEpoch - earlier.secondsSinceEpoch }

    public var description: String { "t+\(Int(secondsSinceEpoch))s" }
}

extension Moment {
    /// `2026-12-07T08:00:00Z`, to the second.
    public var utcText: String { UTCDate(secondsSinceEpoch: secondsSinceEpoch).text }
}
