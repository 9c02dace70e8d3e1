import ArgumentParser
import Foundation
import Logging
import StewardAgent
import StewardYAML

/// `steward agent`: the long-running service that reconciles.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the agent: watch the repository, move traffic, commit every action.",
        discussion: """
            Fetches the configured branch every pollInterval (at once on SIGHUP \
            or POST /v1/reconcile), plans, publishes the routing table, and \
            commits status changes, promotions and rollbacks with trailers. \
            Gateways post outcomes to /v1/outcomes and read /v1/routes. A bad \
            config exits 78 (EX_CONFIG) naming the field; SIGTERM finishes the \
            action in flight and exits 0. See manifests/agent.yaml.
            """
    )

    @Option(help: "The agent's config file (YAML).")
    var config: String

    @Flag(help: "Run one full reconcile round and exit (for cron, CI and tests).")
    var once = false

    func run() async throws {
        LoggingSystem.bootstrap { LineLogHandler(label: $0) }
        let bag = DiagnosticBag()
        guard let loaded = AgentConfig.load(file: config, environment: ProcessInfo.processInfo.environment, bag: bag) else {
            for diagnostic in bag.diagnostics { printError(diagnostic.description) }
            throw ExitCode(78)
        }
        let agent = Agent(config: loaded, logger: Logger(label: "steward"))
        do {
            if once {
                guard try await agent.runOnce() else { throw ExitCode(1) }
                return
            }
            try await agent.run()
        } catch let problem as AgentConfigProblem {
            printError("\(config): error: \(problem)")
            throw ExitCode(78)
        }
    }
}
