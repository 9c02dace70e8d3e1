import ArgumentParser

/// The `steward` command line.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct StewardCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "steward",
        abstract: "GitOps reconciliation for LLM model versions.",
        discussion: """
            A git repository holds the model registry and the rollouts as YAML. \
            Steward checks it in pull requests and, as an agent, moves traffic \
            the way it asks, committing every action back to git.
            """,
        version: StewardCommand.version,
        subcommands: [Validate.self, Plan.self, Simulate.self, Audit.self, Route.self, AgentCommand.self,
                      PauseCommand.self, ResumeCommand.self, AbortCommand.self, PromoteCommand.self, PromoteFullCommand.self,
                      RetryCommand.self, StopCommand.self, UnstopCommand.self, StatusCommand.self, UpgradesCommand.self]
    )

    /// The release, as `steward --version` prints it and the Debian package is numbered.
    public static let version = "0.9.0"

    public init() {}
}
