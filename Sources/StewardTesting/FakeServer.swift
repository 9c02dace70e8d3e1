import Foundation
import Hummingbird
import Logging
import Synchronization

/// A stand-in for a server a test talks to (an HTTP JSON source, a
/// notification receiver, a gate, a git host's API), in this process on a
/// free loopback port: Hummingbird routes the test writes, and every
/// request's method, path and body kept in order. It stops when `stop()`
/// is called or it is released.
public final class FakeServer: Sendable {
    /// One request as it arrived.
    public struct Request: Sendable {
        public var method: String
        /// The path with its query.
        public var uri: String
        public var authorization: String?
        public var body: String
    }

    public let port: Int
    /// `http://127.0.0.1:PORT`.
    public var address: String { "http://127.0.0.1:\(port)" }
    private let recorder: Recorder
    private let task: Task<Void, any Error>

    /// Every request so far, oldest first.
    public var requests: [Request] { recorder.log.withLock { $0 } }

    private init(port: Int, recorder: Recorder, task: Task<Void, any Error>) {
        self.port = port
        self.recorder = recorder
        self.task = task
    }

    /// Starts a server answering as `routes` sets up; returns once it listens.
    public static func start(_ routes: (Router<BasicRequestContext>) -> Void) async throws -> FakeServer {
        let router = Router()
        let recorder = Recorder()
        router.add(middleware: recorder)
        routes(router)
        let (ports, bound) = AsyncStream.makeStream(of: Int.self)
        // Quiet: a test's output is for its own findings, not for a stand-in starting and stopping.
        var logger = Logger(label: "fake-server")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "fake"),
                              onServerRunning: { channel in bound.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        guard let port = await ports.first(where: { _ in true }), port > 0 else {
            task.cancel()
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "the fake server did not start"])
        }
        return FakeServer(port: port, recorder: recorder, task: task)
    }

    /// A receiver that accepts every request and never answers (a hung
    /// receiver): each request waits until the server stops.
    public static func silent() async throws -> FakeServer {
        try await start { router in
            router.on("{path}", method: .post) { _, _ -> Response in
                try await Task.sleep(for: .seconds(3600))
                return Response(status: .ok)
            }
        }
    }

    public func stop() { task.cancel() }

    deinit { task.cancel() }

    /// Keeps each request (its body read up to 1 MiB) before the routes answer it.
    private final class Recorder: RouterMiddleware, Sendable {
        let log = Mutex<[Request]>([])

        func handle(_ request: Hummingbird.Request, context: BasicRequestContext,
                    next: (Hummingbird.Request, BasicRequestContext) async throws -> Response) async throws -> Response {
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            log.withLock {
                $0.append(Request(method: request.method.rawValue, uri: request.uri.description,
                                  authorization: request.headers[.authorization], body: String(buffer: body)))
            }
            return try await next(request, context)
        }
    }
}
