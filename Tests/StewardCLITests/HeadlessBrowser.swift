import Foundation
import StewardTesting

/// Debian's chromium, headless: loads a page and returns its DOM after the
/// page has loaded, as a browser built it. Started in a process group of its
/// own (setsid) so that the browser and every helper it spawned are killed
/// by that group's id if it outlives its 60 seconds.
enum HeadlessBrowser {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func dom(of url: String) throws -> String {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) else {
            throw Failure(description: "chromium is not installed: make deps installs it (apt-get install chromium)")
        }
        let profile = NSTemporaryDirectory() + "steward-chromium-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: profile) }
        // No sandbox: CI runs as root, where chromium's sandbox refuses to start.
        let run = try Subprocess.runInOwnGroup([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                                                "--user-data-dir=" + profile, "--dump-dom", url], in: NSTemporaryDirectory(), timeout: 60)
        guard run.status == 0 else { throw Failure(description: "chromium exited with \(run.status)") }
        return run.output
    }
}
