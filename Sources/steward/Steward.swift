import ArgumentParser
import StewardCLI

/// The `steward` executable: the async root command, so that `steward agent` can run services.
@main
struct Steward {
    static func main() async {
        await StewardCommand.main()
    }
}
