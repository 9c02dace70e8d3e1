import Foundation

/// The tests' one way to run a program and read what it printed.
public enum Subprocess {
    /// Runs `arguments` through `/usr/bin/env` in `directory`; returns the
    /// exit status and standard output (with standard error too when `mergingErrors`).
    @discardableResult
    public static func run(_ arguments: [String], in directory: String, environment: [String: String]? = nil,
                    mergingErrors: Bool = false) throws -> (status: Int32, output: String) {
        try run(executable: "/usr/bin/env", arguments, in: directory, environment: environment, mergingErrors: mergingErrors)
    }

    /// The same in a process group of its own (`setsid`): the program and
    /// everything it started are killed by the group's id once it exits, or
    /// after `timeout` seconds.
    public static func runInOwnGroup(_ arguments: [String], in directory: String, environment: [String: String]? = nil,
                              mergingErrors: Bool = false, timeout: Double) throws -> (status: Int32, output: String) {
        try run(executable: "/usr/bin/setsid", arguments, in: directory, environment: environment, mergingErrors: mergingErrors, groupTimeout: timeout)
    }

    /// Runs a program (found on PATH) with its output appended to `log`,
    /// and waits for it, by posix_spawn and waitpid rather than Foundation's
    /// Process: for programs that leave a daemon behind (`pg_ctl start`),
    /// whose exit Process was seen never to report. Returns the exit status.
    public static func spawnAndWait(_ arguments: [String], log: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw SpawnError(program: arguments[0], errno: spawned) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// A program that could not be started.
    public struct SpawnError: Error, CustomStringConvertible {
        public var program: String
        public var errno: Int32
        public var description: String { "cannot start \(program): \(String(cString: strerror(errno)))" }
    }

    private static func run(executable: String, _ arguments: [String], in directory: String, environment: [String: String]?,
                            mergingErrors: Bool, groupTimeout: Double? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        if let environment { process.environment = environment }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = mergingErrors ? out : FileHandle.nullDevice
        try process.run()
        let group = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(-group, SIGKILL) }
        if let groupTimeout { DispatchQueue.global().asyncAfter(deadline: .now() + groupTimeout, execute: watchdog) }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if groupTimeout != nil {
            watchdog.cancel()
            kill(-group, SIGKILL)  // anything it left behind
        }
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
