import Foundation

/// `ssh-keygen`, the signer and verifier git itself uses for SSH signatures.
enum SSHKeygen {
    /// git signs commits in this namespace; a signature made for another purpose does not verify as a commit's.
    static let namespace = "git"
    static let armourHeader = "-----BEGIN SSH SIGNATURE-----"

    /// Runs ssh-keygen with `input` on its standard input.
    static func run(_ arguments: [String], input: [UInt8]) throws(GitError) -> SigningTool.Result {
        try SigningTool.run("/usr/bin/ssh-keygen", arguments, input: input, install: "openssh-client")
    }
}

/// The signing programs, run with their input on standard input and a deadline.
enum SigningTool {
    /// A signature is a few milliseconds' work; a hung one must not hold the repository's lock.
    static let timeout: TimeInterval = 10

    struct Result {
        var program: String
        var status: Int32
        var output: String
        var errors: String
        /// What went wrong, in the program's words.
        var problem: String {
            let said = errors.trimmingCharacters(in: .whitespacesAndNewlines)
            return said.isEmpty ? "\(program) exited with \(status)" : said
        }
    }

    /// Runs `program` with `input` on its standard input; `install` names the Debian package that has it.
    static func run(_ program: String, _ arguments: [String], input: [UInt8], install: String) throws(GitError) -> Result {
        let name = URL(fileURLWithPath: program).lastPathComponent
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw GitError(operation: "run \(name)", code: -1, message: "\(error) (install \(install))")
        }
        // Written from another thread: an input larger than the pipe's buffer must not wait for a reader that waits for us.
        let writer = stdin.fileHandleForWriting
        DispatchQueue.global().async {
            try? writer.write(contentsOf: Data(input))
            try? writer.close()
        }
        let deadline = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: deadline)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        deadline.cancel()
        if process.terminationReason == .uncaughtSignal {
            throw GitError(operation: "\(name) \(arguments.prefix(2).joined(separator: " "))", code: -1, message: "no answer within \(Int(timeout)) s")
        }
        return Result(program: name, status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                      errors: String(decoding: errors, as: UTF8.self))
    }

    /// The verifiers read a signature only from a file: one of its own, removed afterwards.
    static func withSignatureFile<T>(_ signature: String, _ body: (String) throws(GitError) -> T) throws(GitError) -> T {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("steward-signature-\(UUID().uuidString).sig").path
        guard FileManager.default.createFile(atPath: file, contents: Data(signature.utf8)) else {
            throw GitError(operation: "check a signature", code: -1, message: "cannot write \(file)")
        }
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try body(file)
    }
}
