import Foundation
import Testing
@testable import StewardRouting
import StewardTesting

/// The published test vectors, checked against this implementation and the
/// Python one in examples/gateway.
@Suite struct VectorTests {
    static let root = SourceTree.root

    struct Vectors: Decodable {
        struct Hash: Decodable { var input: String; var fnv1a64: String; var mixed: String }
        struct Bucket: Decodable { var salt: String; var key: String; var bucket: Int }
        struct Route: Decodable {
            var salt: String
            var key: String
            var bucket: Int
            var variants: [ModelRoute.Variant]
            var version: String
        }
        var hashes: [Hash]
        var buckets: [Bucket]
        var routes: [Route]
    }

    static func vectors() throws -> Vectors {
        let data = try Data(contentsOf: URL(fileURLWithPath: root + "/manifests/routing-vectors.json"))
        return try JSONDecoder().decode(Vectors.self, from: data)
    }

    @Test func fnvMatchesThePublishedReferenceValues() {
        // From the FNV authors' test suite.
        #expect(StickyHash.fnv1a("") == 0xcbf2_9ce4_8422_2325)
        #expect(StickyHash.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(StickyHash.fnv1a("foobar") == 0x8594_4171_f739_67e8)
    }

    @Test func swiftAgreesWithEveryVector() throws {
        let vectors = try Self.vectors()
        #expect(vectors.hashes.count >= 6 && vectors.buckets.count >= 8 && vectors.routes.count >= 13)
        for v in vectors.hashes {
            let raw = StickyHash.fnv1a(v.input)
            #expect(String(raw, radix: 16).leftPadded(16) == v.fnv1a64, "\(v.input)")
            #expect(String(StickyHash.mix(raw), radix: 16).leftPadded(16) == v.mixed, "\(v.input)")
        }
        for v in vectors.buckets {
            #expect(StickyHash.bucket(salt: v.salt, key: v.key) == v.bucket, "\(v.salt) \(v.key)")
        }
        for v in vectors.routes {
            let route = try ModelRoute(model: "m", stickyKey: "user_id", salt: v.salt, variants: v.variants)
            #expect(route.bucket(forKey: v.key) == v.bucket)
            #expect(route.route(key: v.key) == v.version, "\(v.key) in bucket \(v.bucket)")
        }
    }

    @Test func pythonAgreesWithEveryVector() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.root + "/examples/gateway/steward_gateway.py", "check",
                             Self.root + "/manifests/routing-vectors.json"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.hasSuffix(" passed, 0 failed\n"), "\(output)")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
