import Foundation
import Hummingbird
import StewardEngine
import StewardMetrics
import StewardSpec
import Testing
import StewardTesting

/// The HTTP JSON provider against a real HTTP server on loopback, and the
/// real agent rolling back a canary on the numbers it serves.
@Suite(.serialized) struct HTTPProviderTests {
    /// Serves `/<model>/<version>` as `{"data": {"errorRate": …, "requests": 100, …}}`, with
    /// each version's rate; `/broken/…` and `/html/…` answer odd things on purpose.
    static func jsonServer(rates: [String: Double]) async throws -> FakeServer {
        try await FakeServer.start { router in
            router.get("**") { request, _ -> Response in
                let parts = request.uri.path.split(separator: "/").map(String.init)
                func answer(_ status: HTTPResponse.Status, _ body: String) -> Response {
                    Response(status: status, body: .init(byteBuffer: ByteBuffer(string: body)))
                }
                if parts.first == "broken" { return answer(.internalServerError, "oops") }
                if parts.first == "html" { return answer(.ok, "<html>not json</html>") }
                guard let version = parts.last, let rate = rates[version] else { return answer(.notFound, "{}") }
                return answer(.ok, """
                    {"data": {"errorRate": \(rate), "requests": 100, "label": "x", "series": [{"v": "0.5"}], "flag": true, "zero": 0}}
                    """)
            }
        }
    }

    static func path(_ text: String) throws -> JSONPath {
        var problem: String?
        return try #require(JSONPath(text, problem: &problem), "\(problem ?? "")")
    }

    static let query = MetricQuery(metric: "error-rate", model: "chat", version: SemanticVersion("2.4.0")!,
                                   from: Moment(secondsSinceEpoch: 1000), to: Moment(secondsSinceEpoch: 1060), interval: 60)

    @Test func picksTheNumberAndTheRequestsBehindIt() async throws {
        let server = try await Self.jsonServer(rates: ["2.4.0": 0.08])
        let source = HTTPJSONSource(timeout: 2)
        let reading = try await source.reading(Self.query, url: server.address + "/{{model}}/{{version}}",
                                               jsonPath: try Self.path("$.data.errorRate"), samplesPath: try Self.path("data.requests"))
        #expect(reading.statistics.estimate == 0.08 && reading.samples == 100)
        #expect(reading.windowStart.secondsSinceEpoch == 1000 && reading.windowEnd.secondsSinceEpoch == 1060)
        let quoted = try await source.reading(Self.query, url: server.address + "/{{version}}", jsonPath: try Self.path("$.data.series[0][\"v\"]"), samplesPath: nil)
        #expect(quoted.statistics.estimate == 0.5 && quoted.samples == 1)
        let zero = try await source.reading(Self.query, url: server.address + "/{{version}}", jsonPath: try Self.path("$.data.zero"), samplesPath: nil)
        #expect(zero.statistics.estimate == 0)
    }

    @Test func everyFailureIsAReason() async throws {
        let server = try await Self.jsonServer(rates: ["2.4.0": 0.08])
        let source = HTTPJSONSource(timeout: 2)
        func reason(_ url: String, _ path: String) async throws -> String {
            do {
                _ = try await source.reading(Self.query, url: url, jsonPath: try Self.path(path), samplesPath: nil)
                return "no failure"
            } catch let failure as ProviderFailure {
                return failure.reason
            }
        }
        #expect(try await reason(server.address + "/{{version}}", "$.data.missing").hasSuffix("nothing at $.data.missing ('missing' is missing)"))
        #expect(try await reason(server.address + "/{{version}}", "$.data.series[3]").hasSuffix("(no item 3)"))
        #expect(try await reason(server.address + "/{{version}}", "$.data.label").hasSuffix("$.data.label is not a number"))
        #expect(try await reason(server.address + "/{{version}}", "$.data.flag").hasSuffix("$.data.flag is not a number"))
        #expect(try await reason(server.address + "/broken/{{version}}", "$.x").hasSuffix("answered HTTP 500"))
        #expect(try await reason(server.address + "/html/{{version}}", "$.x").hasSuffix("did not answer JSON"))
        let closed = try freePort()
        #expect(try await reason("http://127.0.0.1:\(closed)/{{version}}", "$.x").contains("cannot be reached"))
    }

    @Test func pathsThatAreNotPathsAreRefusedWithWhy() {
        var problem: String?
        #expect(JSONPath("$.a[x]", problem: &problem) == nil && problem == "[x] is neither an index (0, 1, …) nor a quoted name")
        #expect(JSONPath("$.a[0", problem: &problem) == nil && problem == "a '[' is not closed")
        #expect(JSONPath("$", problem: &problem) == nil && problem?.hasPrefix("the path names nothing") == true)
        #expect(JSONPath("a..b", problem: &problem) == nil && problem == "a member name is empty")
        #expect(JSONPath("data.rates[2]", problem: &problem)?.steps == [.member("data"), .member("rates"), .index(2)])
    }

    /// The agent asks the URL once per interval for each version, keeps the
    /// windows, and rolls an 8% canary back on them.
    @Test func theAgentRollsBackOnTheNumbersItServes() async throws {
        let server = try await Self.jsonServer(rates: ["2.4.0": 0.08, "2.3.1": 0.01])
        let world = try AgentEndToEndTests.World()
        try """
            apiVersion: steward/v1
            kind: AnalysisTemplate
            metadata:
              name: llm-defaults
            spec:
              metrics:
                - name: error-rate
                  provider:
                    http: {url: "\(server.address)/{{model}}/{{version}}", jsonPath: $.data.errorRate, samplesPath: $.data.requests}
                  failWhen: {above: 0.05}
                  minSamples: 100
                  interval: 2s
                  severity: critical

            """.write(toFile: world.dir + "/work/analysis/llm-defaults.yaml", atomically: true, encoding: .utf8)
        try world.git(["commit", "-qam", "Analysis from an HTTP endpoint"])
        try world.git(["push", "-q", world.dir + "/remote.git", "main"])
        _ = try world.start()
        let reverted = try await AgentPrometheusTests.waitFor(seconds: 90) {
            try world.remoteGit(["log", "--format=%s"]).contains("Revert \"Start canary 2.4.0\"")
        }
        #expect(reverted, "\(AgentPrometheusTests.log(world))")
        let trailers = try world.remoteGit(["log", "-1", "--format=%(trailers)", "--grep=Revert"])
        #expect(trailers.contains("Steward-Reason: error-rate 0.08") && trailers.contains(" samples"), "\(trailers)")
        #expect(world.stop() == 0)
    }
}
