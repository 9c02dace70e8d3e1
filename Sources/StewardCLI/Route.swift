import ArgumentParser
import Foundation
import StewardRouting

/// `steward route`: which version a key gets, as a gateway would decide it.
struct Route: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show which version a request key is routed to by a routing table.",
        discussion: """
            Decides exactly as a gateway does (see manifests/routing.md): useful to \
            answer "which version did this user get?" and to check another \
            implementation of the algorithm.
            """
    )

    @Option(help: "The routing table file the agent publishes (JSON).")
    var table: String

    @Option(help: "The model to route.")
    var model: String

    @Argument(help: "Values of the sticky key (e.g. user ids); one line of output each.")
    var keys: [String]

    func run() throws {
        let routing: RoutingTable
        do {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: table))
            if let key = JSONDuplicateKeys.first(in: Array(bytes)) { throw RoutingError.duplicateKey(key) }
            routing = try JSONDecoder().decode(RoutingTable.self, from: bytes)
        } catch {
            printError("steward: error: \(table): not a routing table: \(error)")
            throw ExitCode(2)
        }
        guard let route = routing[model] else {
            printError("steward: error: \(table) has no model '\(model)'")
            throw ExitCode(1)
        }
        for key in keys {
            print("\(key)\tbucket \(route.bucket(forKey: key))\t\(route.route(key: key))")
        }
    }
}
