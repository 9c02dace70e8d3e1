import Logging
import ServiceLifecycle

/// Writes the ingest buffer to SQLite every second, and once more on shutdown.
struct IngestFlusher: Service {
    let buffer: IngestBuffer
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            await flush()
        }
        await flush()
    }

    private func flush() async {
        let buffer = self.buffer
        do {
            try await buffer.flush()
        } catch {
            logger.error("cannot write outcomes; they are kept in memory and written with the next flush", metadata: ["error": "\(error)"])
        }
    }
}
