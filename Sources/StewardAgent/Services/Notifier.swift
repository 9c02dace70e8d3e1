import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Something people watching a rollout want to hear about.
public struct AgentEvent: Sendable, Encodable, Equatable {
    public enum Kind: String, Sendable, Encodable {
        case started, stepAdvanced, paused, promoted, rolledBack, failed, warning
    }

    public var event: Kind
    public var rollout: String
    /// One line for a person; Slack and compatible receivers show it as the message.
    public var text: String
    public var time: Date
    /// The desired revision the decision was made on.
    public var revision: String
}

/// Where rollout events go. The reconciler only hands them over, never
/// waiting: delivery (and its retries) is the notifier's own business.
public protocol EventNotifier: Sendable {
    /// Takes an event for delivery; returns at once.
    func post(_ event: AgentEvent)
}

/// Keeps the events posted, in order, for whoever asks: an embedded agent
/// that shows them itself, and tests.
public final class MemoryNotifier: EventNotifier {
    private let posted = Mutex<[AgentEvent]>([])

    public init() {}

    public func post(_ event: AgentEvent) { posted.withLock { $0.append(event) } }

    /// Every event posted so far, oldest first.
    public var events: [AgentEvent] { posted.withLock { $0 } }
}

/// Posts each event as JSON to every configured URL, each URL with a queue
/// and a task of its own: a receiver that is slow or dead delays only its
/// own deliveries, never the reconcile loop (which only enqueues) nor the
/// other receivers. Each delivery is tried up to four times with backoff
/// (1 s, 2 s, 4 s), each try bounded by the timeout; a queue holds at most
/// 1,000 events, and those beyond are dropped and logged.
final class Notifier: EventNotifier, Service {
    private let receivers: [(url: String, stream: AsyncStream<AgentEvent>, queue: AsyncStream<AgentEvent>.Continuation)]
    private let client: HTTPClient
    private let timeout: Duration
    private let logger: Logger
    static let queueLength = 1000
    static let backoff: [Duration] = [.seconds(1), .seconds(2), .seconds(4)]

    init(urls: [String], timeout: Duration = .seconds(5), client: HTTPClient = .shared, logger: Logger) {
        receivers = urls.map { url in
            let (stream, queue) = AsyncStream.makeStream(of: AgentEvent.self, bufferingPolicy: .bufferingOldest(Self.queueLength))
            return (url, stream, queue)
        }
        self.client = client
        self.timeout = timeout
        self.logger = logger
    }

    /// Queues an event for every receiver; never waits.
    func post(_ event: AgentEvent) {
        for receiver in receivers {
            if case .dropped = receiver.queue.yield(event) {
                logger.warning("a notification receiver is behind; an event was dropped", metadata: ["url": "\(receiver.url)", "event": "\(event.event)"])
            }
        }
    }

    func run() async throws {
        // A service that returns stops the whole group: with no receivers, wait for the shutdown like the others.
        if receivers.isEmpty {
            try? await gracefulShutdown()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for receiver in receivers {
                group.addTask { [self] in
                    await cancelWhenGracefulShutdown {
                        for await event in receiver.stream { await self.deliver(event, to: receiver.url) }
                    }
                }
            }
        }
    }

    /// A Duration in nanoseconds, fractions of a second kept (a 500ms timeout is not 0).
    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }

    private func deliver(_ event: AgentEvent, to url: String) async {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        guard let body = try? encoder.encode(event) else { return }
        for attempt in 0...Self.backoff.count {
            if attempt > 0 {
                guard (try? await Task.sleep(for: Self.backoff[attempt - 1])) != nil else { return }
            }
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await client.execute(request, timeout: .nanoseconds(Self.nanoseconds(timeout)))
                _ = try? await response.body.collect(upTo: 64 << 10)
                if (200..<300).contains(response.status.code) { return }
                logger.warning("a notification receiver refused an event", metadata: ["url": "\(url)", "status": "\(response.status.code)"])
            } catch {
                logger.warning("a notification receiver did not take an event", metadata: ["url": "\(url)", "error": "\(error)"])
            }
        }
        logger.error("gave up delivering an event", metadata: ["url": "\(url)", "event": "\(event.event)", "rollout": "\(event.rollout)"])
    }
}
