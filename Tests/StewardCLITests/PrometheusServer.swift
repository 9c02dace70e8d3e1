import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
import StewardTesting
#endif

/// A real Prometheus (Debian's `prometheus`) on a free loopback port, with
/// data backfilled by `promtool tsdb create-blocks-from openmetrics` so that
/// every query has a known answer. Stopped by its pid when released.
final class PrometheusServer {
    let dir: String
    let port: Int
    private let process = Process()
    var address: String { "http://127.0.0.1:\(port)" }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// `series` are OpenMetrics families (with `# TYPE` lines), without `# EOF`.
    init(openMetrics series: String) throws {
        for tool in ["/usr/bin/prometheus", "/usr/bin/promtool"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw Failure(description: "\(tool) is missing: make deps installs Debian's prometheus")
        }
        dir = NSTemporaryDirectory() + "steward-prometheus-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try (series + "# EOF\n").write(toFile: dir + "/series.om", atomically: true, encoding: .utf8)
        let backfill = Process()
        backfill.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        backfill.arguments = ["tsdb", "create-blocks-from", "openmetrics", dir + "/series.om", dir + "/data"]
        backfill.standardOutput = FileHandle.nullDevice
        backfill.standardError = FileHandle.nullDevice
        try backfill.run()
        backfill.waitUntilExit()
        guard backfill.terminationStatus == 0 else { throw Failure(description: "promtool could not backfill \(dir)/series.om") }
        try "global:\n  scrape_interval: 15s\n".write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        port = try freePort()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        process.arguments = ["--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/data",
                             "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
        let log = FileHandle(forWritingAtPath: { FileManager.default.createFile(atPath: dir + "/prometheus.log", contents: nil); return dir + "/prometheus.log" }())
        process.standardOutput = log
        process.standardError = log
        try process.run()
        for _ in 0..<150 {
            if let (_, response) = try? httpGet(URL(string: "http://127.0.0.1:\(port)/-/ready")!), response == 200 { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        stop()
        throw Failure(description: "prometheus did not become ready: \((try? String(contentsOfFile: dir + "/prometheus.log", encoding: .utf8)) ?? "")")
    }

    /// Stops the server by its pid (SIGTERM, then SIGKILL).
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<100 where process.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// One sample every `every` seconds from `from` to `to` of a gauge or a counter, as OpenMetrics lines.
    static func samples(_ name: String, labels: String, from: Int, to: Int, every: Int = 5, value: (Int) -> Double) -> String {
        stride(from: from, to: to, by: every).enumerated().map { i, t in "\(name){\(labels)} \(value(i)) \(t)" }.joined(separator: "\n")
    }
}

/// A blocking GET for readiness checks: the body and the status code.
private func httpGet(_ url: URL) throws -> (Data, Int) {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: (Data, Int)?
    URLSession.shared.dataTask(with: url) { data, response, _ in
        if let data, let http = response as? HTTPURLResponse { result = (data, http.statusCode) }
        done.signal()
    }.resume()
    _ = done.wait(timeout: .now() + 2)
    guard let result else { throw URLError(.cannotConnectToHost) }
    return result
}
