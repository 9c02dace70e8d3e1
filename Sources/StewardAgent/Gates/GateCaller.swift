import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StewardEngine
import StewardSpec
import Synchronization

/// Asks rollouts' gates, apart from the round: a gate may take its whole
/// timeout (an eval suite), and a round never waits on it. Each answer is
/// kept in memory and handed to the engine with the next round's evidence;
/// a gate is asked again no sooner than `again` after a no, and never twice
/// at once. A restarted agent asks again (a gate answers the same question
/// the same way).
final class GateCaller: Sendable {
    /// What the gate is POSTed: the question, and the desired revision it was planned on.
    struct Body: Encodable {
        var question: GateQuestion
        var revision: String

        func encode(to encoder: any Encoder) throws {
            try question.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(revision, forKey: .revision)
        }

        enum Key: String, CodingKey { case revision }
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
    /// The most of an answer read to say why (its first line, at most 200 characters, is kept).
    static let answerBytes = 4096

    init(client: HTTPClient = .shared) {
        self.client = client
    }

    /// Every answer known, for the engine's evidence.
    func record(into evidence: inout Evidence) {
        for asked in asked.withLock({ Array($0.values) }) {
            if let answer = asked.answer { evidence.record(answer) }
        }
    }

    /// Asks `gate` the question unless it is being asked, has said yes to
    /// it, or said no to it less than `again` ago; `answered` hears the answer.
    func ask(_ question: GateQuestion, of gate: Gate, revision: String, at now: Date,
             answered: @escaping @Sendable (GateAnswer) async -> Void) {
        let key = question.key
        let go = asked.withLock { asked -> Bool in
            if let last = asked[key] {
                if last.inFlight { return false }
                if let answer = last.answer, answer.answers(question), answer.yes || now.timeIntervalSince(last.askedAt) < Self.again { return false }
            }
            asked[key] = Asked(answer: asked[key]?.answer, inFlight: true, askedAt: now)
            return true
        }
        guard go else { return }
        Task {
            let answer = await self.call(gate, Body(question: question, revision: revision), at: now)
            self.asked.withLock { $0[key] = Asked(answer: answer, inFlight: false, askedAt: now) }
            await answered(answer)
        }
    }

    private func call(_ gate: Gate, _ body: Body, at now: Date) async -> GateAnswer {
        let moment = Moment(secondsSinceEpoch: now.timeIntervalSince1970)
        var request = HTTPClientRequest(url: gate.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        do {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(gate.timeout.seconds * 1_000_000_000)))
            // The start of the answer is enough to say why: the rest is not read.
            var head = ByteBuffer()
            for try await chunk in response.body {
                head.writeImmutableBuffer(chunk.getSlice(at: chunk.readerIndex, length: min(chunk.readableBytes, Self.answerBytes - head.readableBytes))!)
                if head.readableBytes >= Self.answerBytes { break }
            }
            let text = String(decoding: head.readableBytesView, as: UTF8.self)
            // The gate's words reach logs, terminals and the status page: one line, no control characters.
            let firstLine = String(String.UnicodeScalarView((text.split(whereSeparator: \.isNewline).first ?? "").prefix(200).unicodeScalars
                .map { CharacterSet.controlCharacters.contains($0) ? "?" : $0 }))
            return GateAnswer(question: body.question, yes: (200..<300).contains(response.status.code),
                              said: "\(response.status.code)" + (firstLine.isEmpty ? "" : ": " + firstLine), at: moment)
        } catch {
            return GateAnswer(question: body.question, yes: false, said: "no answer within \(gate.timeout): \(error)", at: moment)
        }
    }
}
