import Foundation
import StewardEngine
import StewardMetrics
import StewardSpec
import Testing
import StewardTesting

/// The Prometheus provider against a real Prometheus server with
/// backfilled data: the windows it reads, and every way it can fail, each
/// a reason rather than a number.
@Suite(.serialized) struct PrometheusProviderTests {
    static let now = Int(Date().timeIntervalSince1970) / 60 * 60
    static let canary = SemanticVersion("2.4.0")!, stable = SemanticVersion("2.3.1")!

    /// Ten minutes of data around now: an error ratio per version, a request
    /// counter (20 a second), a NaN series and two series under one name.
    static func server() throws -> PrometheusServer {
        let from = now - 600, to = now + 600
        let series = [
            "# TYPE error_ratio gauge",
            PrometheusServer.samples("error_ratio", labels: "model=\"chat\",version=\"2.4.0\"", from: from, to: to) { _ in 0.08 },
            PrometheusServer.samples("error_ratio", labels: "model=\"chat\",version=\"2.3.1\"", from: from, to: to) { _ in 0.01 },
            "# TYPE requests counter",
            PrometheusServer.samples("requests_total", labels: "model=\"chat\",version=\"2.4.0\"", from: from, to: to) { Double($0 * 100) },
            "# TYPE broken gauge",
            PrometheusServer.samples("broken", labels: "version=\"2.4.0\"", from: from, to: to) { _ in .nan },
            "# TYPE twice gauge",
            PrometheusServer.samples("twice", labels: "version=\"2.4.0\",zone=\"a\"", from: from, to: to) { _ in 1 },
            PrometheusServer.samples("twice", labels: "version=\"2.4.0\",zone=\"b\"", from: from, to: to) { _ in 2 },
        ]
        return try PrometheusServer(openMetrics: series.joined(separator: "\n") + "\n")
    }

    static func query(_ version: SemanticVersion = canary, minutes: Int = 5) -> MetricQuery {
        MetricQuery(metric: "error-rate", model: "chat", version: version, from: Moment(secondsSinceEpoch: Double(now - minutes * 60)),
                    to: Moment(secondsSinceEpoch: Double(now)), interval: 60)
    }

    @Test func readsOneNumberPerWindowWithTheRequestsBehindIt() async throws {
        let prometheus = try Self.server()
        let source = PrometheusSource(settings: PrometheusSettings(address: prometheus.address))
        let readings = try await source.readings(Self.query(), address: nil, promQL: "max_over_time(error_ratio{model=\"{{model}}\",version=\"{{version}}\"}[{{window}}])",
                                                 samples: "sum(increase(requests_total{version=\"{{version}}\"}[{{window}}]))")
        // Five whole one-minute windows, each 8% over 1,200 requests (20 a second).
        #expect(readings.count == 5)
        #expect(readings.allSatisfy { $0.statistics.estimate == 0.08 && $0.samples == 1200 && $0.version == Self.canary })
        #expect(readings.map(\.windowEnd.secondsSinceEpoch) == (1...5).map { Double(Self.now - 300 + $0 * 60) })
        #expect(readings.allSatisfy { $0.windowEnd.since($0.windowStart) == 60 })
        // Stable reads its own series; without a samples query each window is one sample.
        let stable = try await source.readings(Self.query(Self.stable), address: prometheus.address,
                                               promQL: "max_over_time(error_ratio{version=\"{{version}}\"}[{{window}}])", samples: nil)
        #expect(stable.count == 5 && stable.allSatisfy { $0.statistics.estimate == 0.01 && $0.samples == 1 })
        // Less than one whole window: nothing yet, and no error.
        #expect(try await source.readings(Self.query(minutes: 0), address: nil, promQL: "error_ratio{version=\"{{version}}\"}", samples: nil).isEmpty)
    }

    @Test func everyFailureIsAReasonNeverANumber() async throws {
        let prometheus = try Self.server()
        let source = PrometheusSource(settings: PrometheusSettings(address: prometheus.address))
        func failure(_ promQL: String, samples: String? = nil, with source: PrometheusSource = source) async -> ProviderFailure? {
            do {
                _ = try await source.readings(Self.query(), address: nil, promQL: promQL, samples: samples)
                return nil
            } catch {
                return error
            }
        }
        let none = await failure("error_ratio{version=\"{{version}}\",model=\"nobody\"}")
        #expect(none?.reason.contains("returned no series") == true && none?.isServerFailure == false, "\(String(describing: none))")
        let refused = await failure("sum(error_ratio{version=\"{{version}}\"}")
        #expect(refused?.reason.contains("Prometheus refused the query") == true && refused?.reason.contains("bad_data") == true, "\(String(describing: refused))")
        let several = await failure("twice{version=\"{{version}}\"}")
        #expect(several?.reason.contains("returned 2 series; aggregate it to one") == true, "\(String(describing: several))")
        // A NaN is read as a NaN: the engine holds on it (inconclusive), it is never pooled as a number.
        let nan = try await source.readings(Self.query(), address: nil, promQL: "broken{version=\"{{version}}\"}", samples: nil)
        #expect(!nan.isEmpty && nan.allSatisfy { !$0.statistics.isWellFormed })
        let tokenless = PrometheusSource(settings: PrometheusSettings(address: prometheus.address, bearerTokenFile: prometheus.dir + "/no-token"))
        let noToken = await failure("error_ratio{version=\"{{version}}\"}", with: tokenless)
        #expect(noToken?.reason.contains("cannot read the Prometheus bearer token") == true && noToken?.isServerFailure == true)

        // The server stopped: unreachable, said so.
        prometheus.stop()
        let down = await failure("error_ratio{version=\"{{version}}\"}")
        #expect(down?.reason.contains("Prometheus at \(prometheus.address) cannot be reached") == true && down?.isServerFailure == true,
                "\(String(describing: down))")
    }

    @Test func aServerThatNeverAnswersTimesOut() async throws {
        // A listener that accepts and never answers.
        let port = try freePort()
        let silent = Process()
        silent.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        silent.arguments = ["python3", "-c", "import socket,time\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                            + "s.bind(('127.0.0.1',\(port)));s.listen(8)\nc=[]\nwhile True: c.append(s.accept())"]
        try silent.run()
        defer { kill(silent.processIdentifier, SIGKILL); silent.waitUntilExit() }
        try await Task.sleep(for: .milliseconds(300))
        let source = PrometheusSource(settings: PrometheusSettings(address: "http://127.0.0.1:\(port)", timeout: 1))
        let started = Date()
        do {
            _ = try await source.readings(Self.query(), address: nil, promQL: "up{version=\"{{version}}\"}", samples: nil)
            Issue.record("a silent server gave readings")
        } catch {
            #expect(error.reason == "Prometheus at http://127.0.0.1:\(port) did not answer within 1s" && error.isServerFailure, "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 10)
    }
}
