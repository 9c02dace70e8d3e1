import Foundation

/// Rewrites a text file in place: `change` gets its contents and returns the new ones.
public func rewrite(_ path: String, _ change: (String) throws -> String) throws {
    try change(try String(contentsOfFile: path, encoding: .utf8)).write(toFile: path, atomically: true, encoding: .utf8)
}
