import Foundation
import StewardTesting

/// Paths inside this repository, found from this file's place.
enum Repo {
    static let root = SourceTree.root

    static func path(_ relative: String) -> String { root + "/" + relative }

    /// A fresh temporary directory, removed when the process ends is not
    /// guaranteed: tests remove it themselves.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "steward-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
