import AsyncHTTPClient
import Foundation
import NIOCore
import StewardEngine
import StewardSpec
import Synchronization

/// Asks rollouts' gates (`gates.beforePromotion`) whether a canary may be
/// promoted, apart from the round: a gate may take its whole timeout (an
/// eval suite), and a round never waits on it. Each answer is kept in
/// memory and handed to the engine with the next round's evidence; a gate
/// is asked again no sooner than `again` after a no, and never twice at once.
/// A restarted agent asks again (a gate answers the same question the same way).
final class GateCaller: Sendable {
    /// What the gate is sent: JSON, so that it can judge the canary it is asked about.
    struct Question: Encodable {
        var rollout: String
        var gate: String
        var point = "beforePromotion"
        var canary: String
        var stable: String
        var revision: String
    }

    private struct Asked {
        var answer: GateAnswer?
        var inFlight = false
        var askedAt: Date
    }

    private let client: HTTPClient
    private let asked = Mutex<[GateKey: Asked]>([:])
    /// The least time between two questions to a gate that said no.
    static let again: TimeInterval = 10
    /// The most of an answer kept to say why.
    static let answerBytes = 4096

    init(client: HTTPClient = .shared) {
        self.client = client
    }

    private struct GateKey: Hashable {
        var rollout: String
        var gate: String
    }

    /// Every answer known, for the engine's evidence.
    func record(into evidence: inout Evidence) {
        for (key, asked) in asked.withLock({ $0 }) {
            if let answer = asked.answer { evidence.record(answer, rollout: key.rollout, gate: key.gate) }
        }
    }

    /// Asks `gate` about `canary` unless it is being asked, or said no (or
    /// yes to this canary) too lately; `answered` hears the answer.
    func ask(_ gate: Gate, rollout: String, canary: SemanticVersion, stable: SemanticVersion, revision: String, at now: Date,
             answered: @escaping @Sendable (GateAnswer) async -> Void) {
        let key = GateKey(rollout: rollout, gate: gate.name)
        let go = asked.withLock { asked -> Bool in
            if let last = asked[key] {
                if last.inFlight { return false }
                if last.answer?.version == canary, last.answer?.yes == true { return false }
                if last.answer?.version == canary, now.timeIntervalSince(last.askedAt) < Self.again { return false }
            }
            asked[key] = Asked(answer: asked[key]?.answer, inFlight: true, askedAt: now)
            return true
        }
        guard go else { return }
        let question = Question(rollout: rollout, gate: gate.name, canary: canary.description, stable: stable.description, revision: revision)
        Task {
            let answer = await self.call(gate, question, canary: canary, at: now)
            self.asked.withLock { $0[key] = Asked(answer: answer, inFlight: false, askedAt: now) }
            await answered(answer)
        }
    }

    private func call(_ gate: Gate, _ question: Question, canary: SemanticVersion, at now: Date) async -> GateAnswer {
        let moment = Moment(secondsSinceEpoch: now.timeIntervalSince1970)
        var request = HTTPClientRequest(url: gate.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        do {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(question)))
            let timeout = TimeAmount.nanoseconds(Int64(gate.timeout.seconds * 1_000_000_000))
            let response = try await client.execute(request, timeout: timeout)
            let body = (try? await response.body.collect(upTo: Self.answerBytes)).map { String(buffer: $0) } ?? "(an answer longer than \(Self.answerBytes) bytes)"
            let firstLine = body.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            let said = "\(response.status.code)" + (firstLine.isEmpty ? "" : ": " + firstLine.prefix(200))
            return GateAnswer(version: canary, yes: (200..<300).contains(response.status.code), said: said, at: moment)
        } catch {
            return GateAnswer(version: canary, yes: false, said: "no answer within \(gate.timeout): \(error)", at: moment)
        }
    }
}
