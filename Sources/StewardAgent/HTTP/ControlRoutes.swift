import Hummingbird

/// What an operator asks of the agent now: `POST /v1/rollouts/:name/stop`
/// (all of the rollout's traffic to stable at once, before git has the
/// stop) and `POST /v1/reconcile` (a round with a fetch). Added behind the
/// write check.
struct ControlRoutes {
    let reconciler: Reconciler
    /// Asks for a round with a fetch.
    let trigger: @Sendable () -> Void

    func add(to routes: some RouterMethods<BasicRequestContext>) {
        routes.post("v1/rollouts/:name/stop") { _, context -> Response in
            let name = context.parameters.get("name") ?? ""
            switch await reconciler.stopNow(name) {
            case .unknown:
                return .text(.notFound, "no rollout named '\(name)'\n")
            case .notHeld(let why):
                return .text(.serviceUnavailable, "the stop of \(name) could not be put in force: \(why); ask again, or another replica\n")
            case .held:
                trigger()
                return .text(.accepted, "stopping \(name): all traffic to stable\n")
            }
        }
        routes.post("v1/reconcile") { _, _ -> Response in
            trigger()
            return .text(.accepted, "reconciling\n")
        }
    }
}
