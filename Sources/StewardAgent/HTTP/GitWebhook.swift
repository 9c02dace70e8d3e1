import Crypto
import Foundation
import HTTPTypes

/// `POST /v1/hooks/git`: a push notice from the git server, verified
/// against the secret in `webhooks.secretFile` (read on every delivery, so
/// it can be rotated): GitHub's `X-Hub-Signature-256` and the generic
/// `X-Steward-Signature` are HMAC-SHA256 of the body (swift-crypto, checked
/// in constant time); GitLab's `X-Gitlab-Token` is the secret itself. A
/// verified notice only makes the agent fetch now: what the body says is
/// never acted on, beyond skipping pushes to other branches.
public struct GitWebhook: Sendable {
    let secretFile: String?
    let branch: String

    /// Verifies deliveries against the secret in `secretFile`, for pushes to `branch`.
    public init(secretFile: String?, branch: String) {
        self.secretFile = secretFile
        self.branch = branch
    }
    /// The largest body read: a push notice is small, and the agent does not read more.
    static let maxBody = 1 << 20

    /// What the agent does with a delivery.
    public enum Answer: Equatable, Sendable {
        /// Verified, for the watched branch: fetch now.
        case fetch(sender: String)
        /// Verified, but nothing to fetch (a ping, another branch).
        case ignore(String)
        /// Not verified.
        case refuse(String)
    }

    static let githubSignature = HTTPField.Name("X-Hub-Signature-256")!
    static let githubEvent = HTTPField.Name("X-GitHub-Event")!
    static let gitlabToken = HTTPField.Name("X-Gitlab-Token")!
    public static let genericSignature = HTTPField.Name("X-Steward-Signature")!

    /// Verifies a delivery and says whether to fetch.
    public func answer(headers: HTTPFields, body: [UInt8]) -> Answer {
        guard let secret = secret() else {
            return .refuse("webhooks are off: the agent config has no readable webhooks.secretFile")
        }
        let sender: String
        if let signature = headers[Self.githubSignature] {
            guard Self.verify(signature, body: body, secret: secret) else { return .refuse("X-Hub-Signature-256 does not match the body") }
            sender = "github"
            if headers[Self.githubEvent] == "ping" { return .ignore("pong") }
        } else if let signature = headers[Self.genericSignature] {
            guard Self.verify(signature, body: body, secret: secret) else { return .refuse("X-Steward-Signature does not match the body") }
            sender = "generic"
        } else if let token = headers[Self.gitlabToken] {
            guard ConstantTime.equal(token.utf8, secret) else { return .refuse("X-Gitlab-Token is not the secret") }
            sender = "gitlab"
        } else {
            return .refuse("no X-Hub-Signature-256, X-Gitlab-Token or X-Steward-Signature header")
        }
        // Only which branch moved is read from a verified body; anything else in it is never used.
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let ref = object["ref"] as? String,
           ref != "refs/heads/\(branch)" {
            return .ignore("a push to \(ref), not to \(branch)")
        }
        return .fetch(sender: sender)
    }

    private func secret() -> [UInt8]? {
        guard let secretFile, let data = FileManager.default.contents(atPath: secretFile) else { return nil }
        let secret = Array(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        return secret.isEmpty ? nil : secret
    }

    /// `sha256=<hex>`: the HMAC-SHA256 of the body with the secret.
    static func verify(_ header: String, body: [UInt8], secret: [UInt8]) -> Bool {
        guard header.hasPrefix("sha256="), let mac = hexBytes(header.dropFirst("sha256=".count)) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: SymmetricKey(data: secret))
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[i]), let low = hexValue(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
