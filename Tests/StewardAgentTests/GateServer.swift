import Foundation
import Hummingbird
import Synchronization

/// A gate on loopback, as a team's eval service would be: `POST /evals`
/// answers 503 to the first `noes` questions and 200 after, and keeps each
/// question it was asked. Stopped by `stop()` (its task cancelled).
final class GateServer: Sendable {
    let port: Int
    private let questions: Questions
    private let task: Task<Void, any Error>

    /// Every question's body, in order.
    var asked: [String] { questions.list.withLock { $0 } }

    private final class Questions: Sendable {
        let list = Mutex<[String]>([])
    }

    private init(port: Int, questions: Questions, task: Task<Void, any Error>) {
        self.port = port
        self.questions = questions
        self.task = task
    }

    /// - Parameter no: what a no says.
    static func start(noes: Int, no: String = "2 of 40 evals failed") async throws -> GateServer {
        let router = Router()
        let questions = Questions()
        router.post("evals") { request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 16))
            let count = questions.list.withLock { $0.append(body); return $0.count }
            return count <= noes
                ? Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: no + "\n")))
                : Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "40 of 40 evals passed\n")))
        }
        let (ports, bound) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in bound.yield(channel.localAddress?.port ?? 0) })
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        let port = await ports.first { _ in true } ?? 0
        return GateServer(port: port, questions: questions, task: task)
    }

    func stop() { task.cancel() }
}
