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
    /// `2026-12-07T08:00:00Z`, to the second, computed without a calendar
    /// library (the days-to-civil-date algorithm of the proleptic Gregorian calendar).
    public var utcText: String {
        let seconds = Int(secondsSinceEpoch.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let ofDay = seconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(ofDay / 3600)):\(two(ofDay % 3600 / 60)):\(two(ofDay % 60))Z"
    }
}
