import ArgumentParser
import Foundation
import StewardSpec

/// `steward validate`: checks a desired-state directory the way the agent
/// would load it, and reports every problem with its place.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the models, templates, rollouts and policies in a directory.",
        discussion: """
            Reads every *.yaml and *.yml file under PATH (hidden folders such as \
            .git are skipped) and reports every problem at once, each with its \
            file, line and column.

            Exit status: 0 when valid (warnings allowed), 1 when there are \
            errors, 2 when the directory could not be read.
            """
    )

    @Argument(help: "The directory holding the desired state.")
    var path: String = "."

    @Option(name: .customLong("include"), help: ArgumentHelp(
        "Read only these paths inside PATH (repeatable).", valueName: "subpath"))
    var includes: [String] = []

    @Option(help: "How to print the result: text, json, github (workflow annotations) or markdown.")
    var format: ReportFormat = .text

    func run() throws {
        var result: LoadResult
        do {
            result = try DesiredStateLoader().load(directory: path, paths: includes.isEmpty ? ["."] : includes)
        } catch {
            printError("steward: error: \(error)")
            throw ExitCode(2)
        }
        // A canary on a base model its provider has retired is refused on the day, here and not when loading.
        result.diagnostics += result.state.retiredCanaries(at: UTCDate(secondsSinceEpoch: Date().timeIntervalSince1970))
        print(ValidationReport(result: result).render(format), terminator: "")
        if !result.isValid { throw ExitCode(1) }
    }
}
