import StewardSpec

/// Whether traffic may move forward now, by the change windows of the
/// policies that select a model. The engine reads no time-zone database:
/// the caller passes each named zone's offset from UTC as of `now`.
struct ChangeWindows {
    let policies: [Policy]
    /// Seconds east of UTC, by zone name ("Europe/Berlin"); `UTC` and
    /// fixed offsets such as `UTC+02:00` need no entry.
    let utcOffsets: [String: Int]

    /// True when no policy restricts the model, or `now` is inside one of the windows.
    func allowForward(model: String, at now: Moment) -> Bool {
        let windows = policies.filter { $0.applies(to: model) }.flatMap(\.changeWindows)
        guard !windows.isEmpty else { return true }
        return windows.contains { contains($0, now) }
    }

    private func contains(_ window: ChangeWindow, _ now: Moment) -> Bool {
        guard let offset = offset(of: window.timeZone) else { return false }  // unknown zone: closed, never open by mistake
        let local = Int(now.secondsSinceEpoch.rounded(.down)) + offset
        let day = Int((Double(local) / 86_400).rounded(.down))
        let weekday = ((day + 3) % 7 + 7) % 7  // 1970-01-01 was a Thursday; 0 is Monday
        let minute = (local - day * 86_400) / 60
        return window.days.contains(ChangeWindow.Day.allCases[weekday]) && window.start <= minute && minute < window.end
    }

    func offset(of zone: String) -> Int? {
        if zone == "UTC" || zone == "Z" { return 0 }
        if let known = utcOffsets[zone] { return known }
        guard zone.hasPrefix("UTC"), zone.count == 9 else { return nil }
        let sign: Int = zone.dropFirst(3).first == "-" ? -1 : 1
        let digits = zone.dropFirst(4).split(separator: ":")
        guard zone.dropFirst(3).first == "+" || sign == -1, digits.count == 2,
              let hours = Int(digits[0]), let minutes = Int(digits[1]) else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }
}
