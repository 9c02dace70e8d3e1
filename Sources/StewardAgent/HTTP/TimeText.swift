import Foundation

/// Times as `steward status` and the status page show them.
public enum TimeText {
    /// "42 s", "7 min", "3 h".
    public static func ago(_ seconds: TimeInterval) -> String {
        let s = max(0, Int(seconds))
        return s < 120 ? "\(s) s" : s < 7200 ? "\(s / 60) min" : "\(s / 3600) h"
    }

    /// "14:05:09 UTC".
    public static func clock(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970) % 86_400
        return String(format: "%02d:%02d:%02d UTC", seconds / 3600, seconds / 60 % 60, seconds % 60)
    }
}
