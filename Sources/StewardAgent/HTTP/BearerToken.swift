import Foundation

/// The bearer token every write endpoint requires, read from its file on
/// each request (so it can be rotated without a restart) and compared in
/// constant time. It is never logged.
struct BearerToken: Sendable {
    let file: String?

    /// Whether an `Authorization` header carries the token.
    func accepts(_ header: String?) -> Bool {
        guard let file, let data = FileManager.default.contents(atPath: file) else { return false }
        let expected = Array(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard !expected.isEmpty, let header, header.hasPrefix("Bearer ") else { return false }
        return ConstantTime.equal(header.dropFirst("Bearer ".count).utf8, expected)
    }
}
