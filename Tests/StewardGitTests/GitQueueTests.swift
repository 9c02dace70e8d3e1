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
        let remote = try HungRemote()
        defer { remote.close() }
        let queue = GitQueue()
        let fetch = Task { try await queue.run("fetch") { try remote.fetch($0) } }
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

extension GitQueueTests {
    @Test func aFetchThatNeverAnswersIsGivenUpOnAndHoldsNoLaterCallLongerThanItsPatience() async throws {
        let remote = try HungRemote()
        defer { remote.close() }
        let queue = GitQueue()
        let started = Date()
        do {
            // No progress callback ever comes from a silent server: only the deadline can end the wait.
            _ = try await queue.run("fetch main", finishWithin: .seconds(1)) { try remote.fetch($0) }
            Issue.record("a fetch from a silent server succeeded")
        } catch {
            #expect((error as? GitError)?.kind == .timeout, "\(error)")
            #expect("\(error)".contains("fetch main: timed out: no answer within 1"), "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 5)
        // The abandoned fetch still holds the queue; the next call is refused within its own patience, naming it.
        let ran = Failures()
        let asked = Date()
        do {
            try await queue.run("push main", startWithin: .milliseconds(300)) { _ in ran.add("push") }
            Issue.record("a call behind a hung fetch ran")
        } catch {
            #expect((error as? GitError)?.kind == .timeout)
            #expect("\(error)".contains("with 'fetch main', which has not answered"), "\(error)")
        }
        #expect(Date().timeIntervalSince(asked) < 3)
        remote.server.close()
        // Once the remote hangs up, the queue serves again; the refused call never ran.
        try await queue.run("after", startWithin: .seconds(20)) { _ in }
        #expect(ran.all.isEmpty)
    }
}

/// A clone whose remote, on loopback, accepts connections and never answers.
struct HungRemote {
    let server: SilentServer
    let fixture: GitFixture
    let repository: Repository

    init() throws {
        server = try SilentServer()
        fixture = try GitFixture()
        repository = try Repository.create(fixture.path + "/clone.git", bare: true)
    }

    /// A fetch whose transfer deadline (10 minutes) is far beyond any test's wait.
    func fetch(_ cancellation: GitCancellation) throws -> FetchResult {
        var options = RemoteOptions(url: "http://127.0.0.1:\(server.port)/models.git", timeout: 600)
        options.cancellation = cancellation
        return try repository.fetch(options, branch: "main")
    }

    func close() {
        server.close()
        fixture.remove()
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
                self.lock.lock()
                if self.closed { Glibc.close(connection) } else { self.accepted.append(connection) }
                self.lock.unlock()
            }
        }
    }

    private var closed = false

    /// Hangs up on every connection; a second call does nothing.
    func close() {
        lock.lock(); defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        shutdown(socket, Int32(SHUT_RDWR))
        Glibc.close(socket)
        accepted.forEach { Glibc.close($0) }
        accepted = []
    }
}
