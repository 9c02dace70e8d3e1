import StewardSpec

/// Whether traffic may move forward now, by the change windows of the
/// policies that select a model. The engine reads no time-zone database:
/// the caller passes each named zone's offset from UTC as of `now`.
struct ChangeWindows {
    let policies: [Policy]
    /// Seconds east of UTC, by zone name ("Europe/Berlin"); `UTC` and
    /// fixed offsets such as `UTC+02:00` need no entry.
    let utcOffsets: [String: Int]

    /// True when `now` is inside no deny window of the policies that select
    /// the model, and inside one of their allow windows (or they have none).
    func allowForward(model: String, at now: Moment) -> Bool {
        let windows = policies.filter { $0.applies(to: model) }.flatMap(\.changeWindows)
        guard !windows.contains(where: { $0.deny && contains($0, now) }) else { return false }
        let allows = windows.filter { !$0.deny }
        return allows.isEmpty || allows.contains { contains($0, now) }
    }

    /// The first moment after `now`, within a week, at which traffic may
    /// move forward again; nil when none is. Only a window's start or end can
    /// open the way, so only those are tried. Time zones keep their offset
    /// as of now (a change of daylight saving time within the week moves it by an hour).
    func nextOpening(model: String, after now: Moment) -> Moment? {
        let windows = policies.filter { $0.applies(to: model) }.flatMap(\.changeWindows)
        var candidates: [Double] = []
        for window in windows {
            guard let offset = offset(of: window.timeZone) else { continue }
            let localDay = ((now.secondsSinceEpoch + Double(offset)) / 86_400).rounded(.down)
            for day in 0...7 {
                let midnight = (localDay + Double(day)) * 86_400 - Double(offset)
                candidates += [midnight + Double(window.start) * 60, midnight + Double(window.end) * 60]
            }
        }
        return candidates.filter { $0 > now.secondsSinceEpoch }.sorted().lazy.map { Moment(secondsSinceEpoch: $0) }
            .first { allowForward(model: model, at: $0) }
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
