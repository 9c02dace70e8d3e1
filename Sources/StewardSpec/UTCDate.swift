import StewardYAML

/// A date as the registry writes it: `2026-12-07`, or a UTC time such as
/// `2026-12-07T08:30:00Z`. Parsed without a calendar library.
public struct UTCDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since the Unix epoch.
    public var secondsSinceEpoch: Double

    public init(secondsSinceEpoch: Double) { self.secondsSinceEpoch = secondsSinceEpoch }

    /// Reads `YYYY-MM-DD`, optionally followed by `THH:MM` or `THH:MM:SS`
    /// and `Z`; nil for anything else (a time zone other than UTC included).
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, !range.isEmpty,
                  bytes[range].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
            return bytes[range].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1...12).contains(month), (1...Self.days(inMonth: month, of: year)).contains(day) else { return nil }
        var seconds = 0
        if bytes.count > 10 {
            let time = bytes[10...]
            guard time.first == UInt8(ascii: "T") || time.first == UInt8(ascii: " "), time.last == UInt8(ascii: "Z"),
                  bytes.count == 17 || bytes.count == 20, bytes[13] == UInt8(ascii: ":"),
                  let hour = number(11..<13), let minute = number(14..<16), hour < 24, minute < 60 else { return nil }
            seconds = hour * 3600 + minute * 60
            if bytes.count == 20 {
                guard bytes[16] == UInt8(ascii: ":"), let second = number(17..<19), second < 60 else { return nil }
                seconds += second
            }
        }
        secondsSinceEpoch = Double(Self.daysSinceEpoch(year: year, month: month, day: day) * 86_400 + seconds)
    }

    /// `2026-12-07`, the day it falls on.
    public var dayText: String { String(text.prefix(10)) }

    /// `2026-12-07T08:30:00Z`.
    public var text: String {
        let seconds = Int(secondsSinceEpoch.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let ofDay = seconds - days * 86_400
        let (year, month, day) = Self.civil(daysSinceEpoch: days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(ofDay / 3600)):\(two(ofDay % 3600 / 60)):\(two(ofDay % 60))Z"
    }

    public var description: String { text }

    public static func < (a: UTCDate, b: UTCDate) -> Bool { a.secondsSinceEpoch < b.secondsSinceEpoch }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01.
    static func civil(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension NodeReader {
    /// A date (`2026-12-07`) or a UTC time (`2026-12-07T08:30:00Z`).
    public func date() -> UTCDate? {
        guard let text = string() else { return nil }
        guard let date = UTCDate(text) else {
            error("invalid-date", "\(fieldName): '\(text)' is not a date; write YYYY-MM-DD (e.g. 2026-12-07) or a UTC time such as 2026-12-07T08:30:00Z")
            return nil
        }
        return date
    }
}
