import Foundation
import StewardEngine
import StewardSimulation
import StewardSpec

/// The decisions of a simulated rollout, for people or programs.
struct Timeline {
    let rollout: String
    let minutes: Int
    let events: [Simulator.Event]
    let final: RolloutStatus?

    struct Line: Encodable {
        var minute: Int
        var action: String
        var detail: String
    }

    var lines: [Line] {
        events.compactMap { event in
            let minute = Int(event.at.secondsSinceEpoch / 60)
            switch event.action {
            case .setWeights(_, let stable, let canary?, let weight):
                return Line(minute: minute, action: "weight", detail: "\(canary) at \(weight)%, \(stable) at \(100 - weight)%")
            case .setWeights(_, let stable, nil, _):
                return Line(minute: minute, action: "weight", detail: "\(stable) at 100%")
            case .setSplit(_, let shares):
                return Line(minute: minute, action: "split", detail: shares.map { "\($0.version) at \($0.percent)%" }.joined(separator: ", "))
            case .pause(_, let reason):
                return Line(minute: minute, action: "pause", detail: reason)
            case .promote(_, let version, let previous, _):
                return Line(minute: minute, action: "promote", detail: "\(version) replaces \(previous) as stable")
            case .rollback(_, let from, let to, let mode, let reason, _):
                return Line(minute: minute, action: "rollback", detail: "\(from) -> \(to) (\(mode.rawValue)): \(reason)")
            case .alert(_, let reason):
                return Line(minute: minute, action: "alert", detail: reason)
            case .notify(_, let message):
                return Line(minute: minute, action: "notify", detail: message)
            case .askGate(let question, let gate):
                return Line(minute: minute, action: "gate", detail: "ask \(gate.name) (\(gate.url)) at \(question.point.rawValue) about \(question.canary)")
            case .writeStatus:
                return nil
            }
        }
    }

    var outcome: String {
        guard let final else { return "no status" }
        var text = "\(final.phase.rawValue) at step \(final.stepIndex + 1), canary at \(final.canaryWeight)%"
        if let reason = final.pauseReason { text += " (\(reason))" }
        return text
    }

    func text() -> String {
        var out = "simulating \(rollout) over \(minutes) minutes of metrics\n"
        for line in lines {
            out += String(repeating: " ", count: max(0, 5 - "\(line.minute)".count)) + "\(line.minute)m  "
            out += line.action.padding(toLength: 9, withPad: " ", startingAt: 0) + line.detail + "\n"
        }
        return out + "final: \(outcome)\n"
    }

    func json() -> String {
        struct Output: Encodable {
            var rollout: String
            var minutes: Int
            var events: [Line]
            var outcome: String
            var phase: String?
        }
        return prettyJSON(Output(rollout: rollout, minutes: minutes, events: lines, outcome: outcome, phase: final?.phase.rawValue))
    }
}
