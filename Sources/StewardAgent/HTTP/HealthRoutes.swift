import Hummingbird

/// `GET /healthz` (the process answers) and `GET /readyz` (the routes follow
/// a good desired state): open, for systemd, load balancers and probes.
struct HealthRoutes {
    let snapshot: AgentSnapshot

    func add(to routes: some RouterMethods<BasicRequestContext>) {
        routes.get("healthz") { _, _ in "ok\n" }
        routes.get("readyz") { _, _ -> Response in
            snapshot.value.ready ? .text(.ok, "ready\n") : .text(.serviceUnavailable, "not ready: no good desired state and routes yet\n")
        }
    }
}
