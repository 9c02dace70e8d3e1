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
