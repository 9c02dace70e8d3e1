import Foundation
import NIOCore
import Synchronization

/// The status page, rendered at most once every `freshFor` however many
/// people (or scripts) load it: a load while it is fresh, or while another
/// load renders it, gets the last one. With a thousand rollouts a render
/// costs milliseconds of both cores; forty loads a second must not starve
/// the gateways' `/v1/routes`.
final class RenderedPage: Sendable {
    let freshFor: TimeInterval
    private let state = Mutex(State())

    private struct State {
        var page: ByteBuffer?
        var renderedAt = Date.distantPast
        var rendering = false
    }

    init(freshFor: TimeInterval = 2) { self.freshFor = freshFor }

    /// The page, from `render` when the last one is stale and no other load renders it.
    func page(_ render: @Sendable () async throws -> String) async throws -> ByteBuffer {
        let now = Date()
        let kept: ByteBuffer? = state.withLock { state in
            if let page = state.page, now.timeIntervalSince(state.renderedAt) < freshFor || state.rendering { return page }
            state.rendering = true
            return nil
        }
        if let kept { return kept }
        do {
            let page = ByteBuffer(string: try await render())
            state.withLock { $0 = State(page: page, renderedAt: Date(), rendering: false) }
            return page
        } catch {
            state.withLock { $0.rendering = false }
            throw error
        }
    }
}
