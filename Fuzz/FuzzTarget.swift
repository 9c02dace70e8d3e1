import Crypto
import Foundation
import HTTPTypes
import StewardAgent
import StewardEngine
import StewardRouting
import StewardSimulation
import StewardSpec
import StewardYAML

/// The readers that take input from people and other programs, each run
/// on arbitrary bytes: they may refuse them, never crash or hang.
enum FuzzTarget: String, CaseIterable {
    /// YAML parsing, decoding into resources and semantic validation.
    case yaml
    /// A routing table's JSON, then routing some keys by it.
    case routing
    /// `steward simulate`'s metric series, as CSV and as JSON.
    case series
    /// The agent's status file.
    case status
    /// A traffic scenario (`steward simulate --scenario`).
    case scenario
    /// `POST /v1/outcomes` bodies, with and without the registry's models.
    case outcomes
    /// `POST /v1/hooks/git` bodies, signed as a git server would sign them.
    case webhook
    /// An agent's `/v1/status` answer, as `steward status --agent` reads it.
    case agentstatus

    func run(_ bytes: [UInt8]) {
        switch self {
        case .yaml:
            _ = DesiredStateLoader().load([SourceFile(path: "fuzz.yaml", bytes: bytes)])
        case .routing:
            guard JSONDuplicateKeys.first(in: bytes) == nil,
                  let table = try? JSONDecoder().decode(RoutingTable.self, from: Data(bytes)) else { return }
            for model in table.models.prefix(4).map(\.model) {
                for key in ["", "user-1", "ü"] { _ = table.route(model: model, key: key) }
            }
        case .series:
            let start = Moment(secondsSinceEpoch: 0)
            let expected = MetricSeries.Expectations(rollout: "r", metricsReadingRates: ["error-rate": true, "latency-p95": false],
                                                     versions: ["2.3.1", "2.4.0"])
            if let rows = try? MetricSeries.csv(String(decoding: bytes, as: UTF8.self), "fuzz.csv") {
                _ = try? MetricSeries.check(rows, path: "fuzz.csv", against: expected)
                _ = try? MetricSeries.readings(rows, path: "fuzz.csv", start: start, interval: 60)
            }
            if let rows = try? JSONDecoder().decode([MetricSeries.Row].self, from: Data(bytes)) {
                _ = try? MetricSeries.check(rows, path: "fuzz.json", against: nil)
                _ = try? MetricSeries.readings(rows, path: "fuzz.json", start: start, interval: 60)
            }
        case .status:
            _ = StatusFile.decode(bytes, file: "fuzz.yaml", bag: DiagnosticBag())
        case .scenario:
            _ = TrafficScenario.decode(bytes, file: "fuzz.yaml", bag: DiagnosticBag())
        case .outcomes:
            _ = OutcomeBatch(json: Data(bytes), now: 1_800_000_000)
            _ = OutcomeBatch(json: Data(bytes), now: 1_800_000_000, known: ["chat": ["1.0.0", "2.0.0"]])
        case .webhook:
            let signature = HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: Data(Self.webhookSecret.utf8)))
            var headers = HTTPFields()
            headers[GitWebhook.genericSignature] = "sha256=" + signature.map { String(format: "%02x", $0) }.joined()
            _ = GitWebhook(secretFile: Self.webhookSecretFile, branch: "main").answer(headers: headers, body: bytes)
        case .agentstatus:
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            _ = try? decoder.decode(StatusReport.self, from: Data(bytes))
        }
    }

    static let webhookSecret = "fuzz-secret"
    /// The webhook's secret, in a file of its own as the agent reads it.
    static let webhookSecretFile: String = {
        let file = NSTemporaryDirectory() + "steward-fuzz-webhook-secret"
        try? webhookSecret.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }()

    /// Chosen by `STEWARD_FUZZ_TARGET` (libFuzzer owns the command line).
    static let chosen: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["STEWARD_FUZZ_TARGET"] ?? "yaml"
        guard let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("STEWARD_FUZZ_TARGET must be one of \(allCases.map(\.rawValue))\n".utf8))
            exit(2)
        }
        return target
    }()
}

/// libFuzzer's entry point (built with `-sanitize=fuzzer`: `make fuzz`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.chosen.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
/// libFuzzer's driver, started from our own entry point: SwiftPM names an
/// executable's `main` itself, so libFuzzer's `main` cannot be the one.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@main enum Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, fuzzOneInput))
    }
}
#else
/// Without libFuzzer: `steward-fuzz TARGET FILE…` runs each file through a
/// target, so that every input a fuzzer found stays a regression test.
@main enum Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: steward-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE…")
            exit(2)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): cannot read")
                exit(1)
            }
            target.run(Array(data))
        }
        print("\(target.rawValue): \(arguments.count - 1) inputs, no crash")
    }
}
#endif
