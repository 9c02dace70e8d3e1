import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StewardEngine
import StewardSpec

/// The model lists the policies name, read over HTTP: OpenAI's
/// `GET /v1/models` shape, which OpenRouter, vLLM, LiteLLM and most
/// providers answer (`{"data": [{"id": ..., "created": UNIX}]}`).
enum ModelList {
    /// Each model-list source's base models by its name, or why it could not be read.
    static func read(_ desired: DesiredState) -> [String: Result<[CatalogEntry], UpgradePlanner.SourceProblem>] {
        var listings: [String: Result<[CatalogEntry], UpgradePlanner.SourceProblem>] = [:]
        for source in desired.policies.values.compactMap(\.upgrades).flatMap(\.sources) {
            guard case .modelList(let url, let tokenFile) = source.kind, listings[source.name] == nil else { continue }
            listings[source.name] = fetch(url, tokenFile: tokenFile)
        }
        return listings
    }

    static func fetch(_ url: String, tokenFile: String?) -> Result<[CatalogEntry], UpgradePlanner.SourceProblem> {
        let address = url.hasSuffix("/v1") ? url + "/models" : url.hasSuffix("/models") ? url : url + "/v1/models"
        guard let endpoint = URL(string: address) else { return .failure(.init("'\(address)' is not a URL")) }
        var request = URLRequest(url: endpoint, timeoutInterval: 30)
        if let tokenFile {
            guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                return .failure(.init("cannot read the token file \(tokenFile)"))
            }
            request.setValue("Bearer " + token.trimmingCharacters(in: .whitespacesAndNewlines), forHTTPHeaderField: "Authorization")
        }
        let answer = exchange(request)
        if let failure = answer.failure { return .failure(.init("GET \(address): \(failure)")) }
        guard (200..<300).contains(answer.status), let body = answer.body else { return .failure(.init("GET \(address) answered \(answer.status)")) }
        struct Listing: Decodable {
            struct Model: Decodable {
                var id: String
                var created: Double?
            }
            var data: [Model]
        }
        guard let listing = try? JSONDecoder().decode(Listing.self, from: body) else {
            return .failure(.init("GET \(address): not a model list ({\"data\": [{\"id\": ...}]})"))
        }
        return .success(listing.data.map { CatalogEntry(name: $0.id, released: $0.created.map(UTCDate.init(secondsSinceEpoch:))) })
    }
}

/// Pull requests on GitHub (or a stand-in with its API): one per branch,
/// its body kept current, a closed one never reopened.
struct GitHubPullRequests {
    let api: String
    let repository: String
    let tokenFile: String?

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Opens a pull request for `head`, or updates the body of the open one.
    func ensure(head: String, base: String, title: String, body: String) throws {
        let owner = repository.split(separator: "/").first.map(String.init) ?? repository
        let query = "head=\(owner):\(head)&state=all".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? ""
        let existing = try call("GET", "/repos/\(repository)/pulls?\(query)", nil)
        guard let pulls = existing as? [[String: Any]] else { throw Failure(description: "GitHub's list of pull requests is not a list") }
        if let open = pulls.first(where: { $0["state"] as? String == "open" }), let number = open["number"] as? Int {
            if open["body"] as? String != body { _ = try call("PATCH", "/repos/\(repository)/pulls/\(number)", ["body": body]) }
            print("  pull request #\(number) is open\(open["body"] as? String == body ? "" : "; its body is updated")")
        } else if let closed = pulls.first, let number = closed["number"] as? Int {
            print("  pull request #\(number) for \(head) was closed: not reopened")
        } else {
            let created = try call("POST", "/repos/\(repository)/pulls", ["title": title, "head": head, "base": base, "body": body])
            print("  opened pull request #\((created as? [String: Any])?["number"] as? Int ?? 0)")
        }
    }

    private func call(_ method: String, _ path: String, _ json: [String: String]?) throws -> Any {
        guard let url = URL(string: api + path) else { throw Failure(description: "'\(api + path)' is not a URL") }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = method
        request.setValue("application/vnd.github+json", forHTTPHeaderField: "Accept")
        if let tokenFile {
            guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8) else { throw Failure(description: "cannot read \(tokenFile)") }
            request.setValue("Bearer " + token.trimmingCharacters(in: .whitespacesAndNewlines), forHTTPHeaderField: "Authorization")
        }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let answer = exchange(request)
        if let failure = answer.failure { throw Failure(description: "\(method) \(path): \(failure)") }
        guard (200..<300).contains(answer.status), let body = answer.body else {
            throw Failure(description: "\(method) \(path) answered \(answer.status): \(String(decoding: (answer.body ?? Data()).prefix(300), as: UTF8.self))")
        }
        return try JSONSerialization.jsonObject(with: body)
    }
}
