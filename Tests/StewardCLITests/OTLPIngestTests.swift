import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StewardOTLP
import StewardTesting
import SwiftProtobuf
import Testing

/// `POST /v1/traces` on the real agent: OTLP/HTTP exports, JSON and
/// protobuf, whose GenAI spans are outcomes.
@Suite(.serialized) struct OTLPIngestTests {
    static func post(_ body: Data, json: Bool, port: Int, token: String) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/traces")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue(json ? "application/json" : "application/x-protobuf", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    static func metric(_ name: String, port: Int) async throws -> Double {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    /// As an OpenTelemetry SDK exports it (ids in hex, times and ints as
    /// strings): a model call, a span that is not one, and a model call
    /// that does not say its version.
    @Test func aJSONExportsModelCallsAreOutcomesAndTheRestIsPassedOverOrRefused() async throws {
        let world = try AgentEndToEndTests.World()
        let port = try world.start()
        let end = UInt64(Date().timeIntervalSince1970 * 1e9), start = end - 850_000_000
        func span(_ name: String, _ attributes: String, status: Int = 1) -> String {
            """
            {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "name": "\(name)", "kind": 3,
             "startTimeUnixNano": "\(start)", "endTimeUnixNano": "\(end)", "attributes": [\(attributes)], "status": {"code": \(status)}}
            """
        }
        let genAI = """
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4.1"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "412"}},
            {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 198}}
            """
        let body = """
            {"resourceSpans": [{
              "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "support-api"}},
                                          {"key": "steward.model", "value": {"stringValue": "customer-support-agent"}}]},
              "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.openai"}, "spans": [
                \(span("chat gpt-4.1", genAI + #", {"key": "steward.version", "value": {"stringValue": "2.4.0"}}, {"key": "steward.rating", "value": {"doubleValue": 4.5}}"#)),
                \(span("GET /orders", #"{"key": "http.request.method", "value": {"stringValue": "GET"}}"#)),
                \(span("chat gpt-4.1", genAI, status: 2))
              ]}]
            }]}
            """
        let answer = try await Self.post(Data(body.utf8), json: true, port: port, token: world.token)
        #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
        let reply = try OTLPExportResponse(jsonUTF8Data: answer.body)
        #expect(reply.partialSuccess.rejectedSpans == 1)
        #expect(reply.partialSuccess.errorMessage == "span 2: a gen_ai span without a 'steward.version' attribute (on the span or its resource)")
        #expect(try await Self.metric("steward_outcomes_ingested_total", port: port) == 1)
        // Not an export: refused whole, and nothing is counted.
        let garbage = try await Self.post(Data("{\"resourceSpans\": 7}".utf8), json: true, port: port, token: world.token)
        #expect(garbage.status == 400)
        // Without the token: refused, as /v1/outcomes is.
        var anonymous = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/traces")!)
        anonymous.httpMethod = "POST"
        anonymous.httpBody = Data(body.utf8)
        let (_, response) = try await URLSession.shared.data(for: anonymous)
        #expect((response as? HTTPURLResponse)?.statusCode == 401)
        #expect(world.stop() == 0)
    }

    /// A failing canary seen only through protobuf trace exports is rolled
    /// back, as one seen through `/v1/outcomes` is.
    @Test func aFailingCanarySeenThroughTracesIsRolledBack() async throws {
        let world = try AgentEndToEndTests.World()
        let port = try world.start()
        func export(canaryErrors: Double) -> OTLPExportRequest {
            let now = UInt64(Date().timeIntervalSince1970 * 1e9)
            var request = OTLPExportRequest()
            for (version, errors) in [("2.4.0", canaryErrors), ("2.3.1", 0.01)] {
                var resource = Opentelemetry_Proto_Collector_Trace_V1_ResourceSpans()
                resource.resource.attributes = [OTLPKeyValue("steward.model", text: "customer-support-agent"), OTLPKeyValue("steward.version", text: version)]
                var scope = Opentelemetry_Proto_Collector_Trace_V1_ScopeSpans()
                for i in 0..<150 {
                    var span = OTLPSpan()
                    span.name = "chat"
                    span.startTimeUnixNano = now - UInt64(600_000_000 + (i % 40) * 10_000_000)
                    span.endTimeUnixNano = now
                    span.status.code = Double.random(in: 0..<1) < errors ? .error : .ok
                    span.attributes = [OTLPKeyValue("gen_ai.request.model", text: "gpt-4.1"), OTLPKeyValue("steward.rating", text: "4.4")]
                    scope.spans.append(span)
                }
                resource.scopeSpans = [scope]
                request.resourceSpans.append(resource)
            }
            return request
        }
        let deadline = Date().addingTimeInterval(90)
        var reverted = false
        while Date() < deadline, !reverted {
            let answer = try await Self.post(Data(try export(canaryErrors: 0.08).serializedBytes() as [UInt8]), json: false, port: port, token: world.token)
            #expect(answer.status == 200)
            #expect(try OTLPExportResponse(serializedBytes: Array(answer.body)).partialSuccess.rejectedSpans == 0)
            reverted = try world.remoteGit(["log", "--format=%s"]).contains("Revert \"Start canary 2.4.0\"")
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(reverted, "\((try? String(contentsOfFile: world.dir + "/agent.log", encoding: .utf8)) ?? "")")
        #expect(try world.remoteGit(["log", "-1", "--format=%(trailers)", "--grep=Revert"]).contains("Steward-Reason: error-rate 0."))
        #expect(world.stop() == 0)
    }

    /// Spans made by the OpenTelemetry Python SDK (installed from PyPI,
    /// hashes checked, into a throwaway virtual environment): its OTLP/HTTP
    /// exporter's protobuf, and its encoder's request as JSON. Every model
    /// call that names its version is counted; those that do not are refused.
    @Test func spansFromTheOpenTelemetrySDKAreCountedInBothEncodings() async throws {
        let world = try AgentEndToEndTests.World()
        let venv = world.dir + "/venv"
        let setup = try Subprocess.run(["sh", "-c", "python3 -m venv \(venv) && \(venv)/bin/pip install -q --require-hashes -r "
                                        + "\(CommandLineTests.root)/examples/otel/requirements.txt"], in: world.dir, mergingErrors: true)
        try #require(setup.status == 0, "\(setup.output)")
        let port = try world.start()
        for encoding in ["protobuf", "json"] {
            let sent = try Subprocess.run([venv + "/bin/python", CommandLineTests.root + "/examples/otel/genai_spans.py", "--agent", "http://127.0.0.1:\(port)",
                                           "--token-file", world.dir + "/token", "--model", "customer-support-agent", "--version", "2.4.0",
                                           "--count", "60", "--errors", "0.1", "--unversioned", "2", "--encoding", encoding], in: world.dir, mergingErrors: true)
            #expect(sent.status == 0 && sent.output.contains("sent 62 spans (2 without a version), \(encoding)"), "\(sent.output)")
        }
        #expect(try await Self.metric("steward_outcomes_ingested_total", port: port) == 120)
        #expect(try await Self.metric("steward_outcomes_rejected_total", port: port) == 4)
        #expect(world.stop() == 0)
    }

}
