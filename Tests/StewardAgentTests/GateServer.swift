import Foundation
import Hummingbird
import StewardTesting
import Synchronization

/// A gate on loopback, as a team's eval service would be: `POST /evals`
/// answers 503 to the first `noes` questions and 200 after; every
/// question's body is kept.
struct GateServer {
    let server: FakeServer
    var port: Int { server.port }

    /// Every question's body, in order.
    var asked: [String] { server.requests.map(\.body) }

    /// - Parameter no: what a no says.
    static func start(noes: Int, no: String = "2 of 40 evals failed") async throws -> GateServer {
        let count = Mutex(0)
        return GateServer(server: try await FakeServer.start { router in
            router.post("evals") { _, _ -> Response in
                let asked = count.withLock { $0 += 1; return $0 }
                return asked <= noes
                    ? Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: no + "\n")))
                    : Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "40 of 40 evals passed\n")))
            }
        })
    }

    func stop() { server.stop() }
}
