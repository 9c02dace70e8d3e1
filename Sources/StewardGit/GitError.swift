import CGit2
import Foundation

/// A failed libgit2 call: what Steward was doing, and libgit2's error class
/// and message. Credentials never appear: URLs are printed without their
/// user-info part.
public struct GitError: Error, Sendable, Hashable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    /// libgit2's error class (`GIT_ERROR_NET`, `GIT_ERROR_REFERENCE`, …).
    public var errorClass: Int32
    public var message: String

    public init(operation: String, code: Int32, errorClass: Int32 = 0, message: String) {
        self.operation = Redaction.scrub(operation)
        self.code = code
        self.errorClass = errorClass
        self.message = Redaction.scrub(message)
    }

    /// The error libgit2 reports for the call that returned `code`.
    static func last(_ operation: String, code: Int32) -> GitError {
        guard let error = git_error_last() else {
            return GitError(operation: operation, code: code, message: "libgit2 error \(code)")
        }
        return GitError(operation: operation, code: code, errorClass: error.pointee.klass,
                        message: String(cString: error.pointee.message))
    }

    /// Whether the reference moved under us (a compare-and-swap failed) or a push was not a fast-forward.
    public var isConflictOnReference: Bool {
        code == GIT_EMODIFIED.rawValue || code == GIT_ENONFASTFORWARD.rawValue || code == GIT_ELOCKED.rawValue
    }

    public var description: String { "\(operation): \(message)" }

    /// What kind of failure it is, so that a caller can tell "retry" from
    /// "tell a person"; libgit2's number stays in `code`.
    public enum Kind: String, Sendable, Hashable {
        /// The branch moved or a push was not a fast-forward: fetch and try again.
        case nonFastForward
        /// A revision, file, reference or remote branch that is not there.
        case notFound
        /// A merge or revert that conflicts.
        case conflict
        /// Credentials refused, or a host key not trusted.
        case auth
        /// No answer within the deadline.
        case timeout
        /// The caller cancelled.
        case cancelled
        /// The network failed (refused, reset, unreachable).
        case network
        case other
    }

    public var kind: Kind {
        if isConflictOnReference { return .nonFastForward }
        switch code {
        case GIT_ENOTFOUND.rawValue: return .notFound
        case GIT_ECONFLICT.rawValue, GIT_EMERGECONFLICT.rawValue: return .conflict
        case GIT_EAUTH.rawValue, GIT_ECERTIFICATE.rawValue: return .auth
        case GIT_EUSER.rawValue where message.contains("cancel"): return .cancelled
        default: break
        }
        if message.contains("no answer within") || message.lowercased().contains("timed out") { return .timeout }
        if errorClass == GIT_ERROR_NET.rawValue || errorClass == GIT_ERROR_SSH.rawValue || errorClass == GIT_ERROR_HTTP.rawValue { return .network }
        return .other
    }
}

/// Runs a libgit2 call and turns a negative result into a ``GitError``.
@discardableResult
func check(_ operation: @autoclosure () -> String, _ result: Int32) throws(GitError) -> Int32 {
    guard result >= 0 else { throw GitError.last(operation(), code: result) }
    return result
}

/// Keeps secrets out of messages.
enum Redaction {
    /// Removes `user:password@` from every URL in `text`.
    static func scrub(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            out += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == " " || $0 == "'" || $0 == "\"" } ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                out += "***@"
                rest = rest[rest.index(after: at)...]
            }
        }
        return out + rest
    }
}
