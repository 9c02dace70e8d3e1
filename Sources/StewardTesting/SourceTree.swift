import Foundation

/// The repository the tests were built from: where the examples, fixtures
/// and `Package.swift` are.
public enum SourceTree {
    /// The repository's root directory.
    public static let root: String = {
        // This file is Sources/StewardTesting/SourceTree.swift.
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// A path below the root.
    public static func path(_ relative: String) -> String { root + "/" + relative }
}
