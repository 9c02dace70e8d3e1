import Foundation
import Testing
@testable import StewardGit
#if canImport(Glibc)
import Glibc
#endif

@Suite struct GitQueueTests {
    @Test func callsRunOneAtATime() async throws {
        let queue = GitQueue()
        let log = Failures()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<4 {
                group.addTask {
                    try await queue.run("call \(i)") { _ in
                        log.add("start")
                        Thread.sleep(forTimeInterval: 0.02)
                        log.add("end")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(log.all == Array(repeating: ["start", "end"], count: 4).flatMap { $0 })
    }

    @Test func aCancelledCallerIsAnsweredAtOnceAndItsQueuedCallNeverStarts() async throws {
        let queue = GitQueue()
        let release = DispatchSemaphore(value: 0)
        let ran = Failures()
        // The first call holds the queue until the test lets it go; the second is queued only once it does
        // (tasks start in no fixed order, and on a busy machine the second could otherwise run first).
        let holding = DispatchSemaphore(value: 0)
        let first = Task { try await queue.run("hold") { _ in holding.signal(); _ = release.wait(timeout: .now() + 30) } }
        await withCheckedContinuation { (held: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { _ = holding.wait(timeout: .now() + 30); held.resume() }
        }
        let second = Task { try await queue.run("fetch main") { _ in ran.add("second") } }
        try await Task.sleep(for: .milliseconds(50))
        second.cancel()
        do {
            try await second.value
            Issue.record("a cancelled call returned normally")
        } catch {
            #expect((error as? GitError)?.kind == .cancelled)
            #expect("\(error)" == "fetch main: cancelled")
        }
        release.signal()
        try await first.value
        try await queue.run("drain") { _ in }
        #expect(ran.all.isEmpty)
    }

    @Test func aFetchFromAHungRemoteEndsWhenItsTaskIsCancelled() async throws {
        let server = try SilentServer()
        defer { server.close() }
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let repository = try Repository.create(fixture.path + "/clone.git", bare: true)
        let queue = GitQueue()
        let fetch = Task {
            try await queue.run("fetch") { cancellation in
                var options = RemoteOptions(url: "http://127.0.0.1:\(server.port)/models.git", timeout: 60)
                options.cancellation = cancellation
                return try repository.fetch(options, branch: "main")
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        let started = Date()
        fetch.cancel()
        do {
            _ = try await fetch.value
            Issue.record("a fetch from a silent server succeeded")
        } catch {
            #expect((error as? GitError)?.kind == .cancelled)
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }
}

/// A TCP server on a free loopback port that accepts connections and never answers.
final class SilentServer: @unchecked Sendable {
    let port: Int
    private let socket: Int32
    private var accepted: [Int32] = []
    private let lock = NSLock()

    init() throws {
        let listener = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound, listen(listener, 8) == 0 else {
            Glibc.close(listener)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        socket = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [weak self] in
            while true {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return }
                guard let self else { Glibc.close(connection); return }
                self.lock.lock(); self.accepted.append(connection); self.lock.unlock()
            }
        }
    }

    func close() {
        shutdown(socket, Int32(SHUT_RDWR))
        Glibc.close(socket)
        lock.lock(); defer { lock.unlock() }
        accepted.forEach { Glibc.close($0) }
    }
}
