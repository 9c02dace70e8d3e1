import Hummingbird
import Logging

/// `POST /v1/hooks/git`: a git host's push notice, checked by its own
/// signature (HMAC), not the bearer token; a verified push to the watched
/// branch starts a fetch now.
struct HookRoutes {
    let webhook: GitWebhook
    /// Asks for a round with a fetch.
    let trigger: @Sendable () -> Void

    func add(to routes: some RouterMethods<BasicRequestContext>) {
        routes.post("v1/hooks/git") { request, context -> Response in
            let body: ByteBuffer
            switch await ConnectionLimits.body(of: request, upTo: GitWebhook.maxBody) {
            case .complete(let bytes): body = bytes
            case .tooLarge:
                context.logger.warning("refused a webhook larger than \(GitWebhook.maxBody) bytes")
                return .text(.contentTooLarge, "a push notice is at most \(GitWebhook.maxBody) bytes\n")
            case .tooSlow: return .tooSlow
            }
            switch webhook.answer(headers: request.headers, body: Array(body.readableBytesView)) {
            case .fetch(let sender):
                context.logger.info("verified push notice: fetching now", metadata: ["sender": "\(sender)"])
                trigger()
                return .text(.accepted, "fetching\n")
            case .ignore(let why):
                return .text(.ok, why + "\n")
            case .refuse(let why):
                context.logger.warning("refused an unverified webhook", metadata: ["reason": "\(why)"])
                return .text(.unauthorized, why + "\n")
            }
        }
    }
}
