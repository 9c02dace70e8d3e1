import Foundation

/// Keeps reading inside one directory: a pull request may add any file, so
/// a symbolic link to `/etc/passwd` or to a token must never be read (and
/// so never echoed in a diagnostic), and a path with `..` must not leave.
public struct Confinement: Sendable {
    /// The directory's real path, symbolic links resolved.
    let root: String?

    public init(directory: String) {
        root = Self.realPath(directory)
    }

    /// Confined to the folder `path` names, or, for a file, to the folder it lies in.
    public init(around path: String) {
        var directory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &directory), directory.boolValue {
            self.init(directory: path)
        } else {
            let parent = (path as NSString).deletingLastPathComponent
            self.init(directory: parent.isEmpty ? "." : parent)
        }
    }

    /// Whether `path`, resolved, is the directory or inside it.
    public func contains(_ path: String) -> Bool {
        guard let root, let real = Self.realPath(path) else { return false }
        return real == root || real.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// Why a file found inside the directory must not be read, if it must not:
    /// a symbolic link that leaves the directory or leads nowhere, or a file
    /// too large to read (checked before reading a byte).
    public func refusal(_ path: String, maxBytes: Int) -> (code: String, message: String)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        if info.st_mode & S_IFMT == S_IFLNK {
            guard Self.realPath(path) != nil else {
                return ("dangling-symlink", "a symbolic link whose target is missing or loops; not read")
            }
            guard contains(path) else {
                return ("symlink-outside", "a symbolic link to a file outside the repository; not read")
            }
            guard stat(path, &info) == 0 else { return nil }
        }
        if Int(info.st_size) > maxBytes {
            return ("file-too-large", "file is \(info.st_size) bytes; Steward reads YAML files of at most \(maxBytes) bytes")
        }
        return nil
    }

    /// The bytes of `path`, read only if it stays inside the directory and
    /// is at most `maxBytes`; otherwise why not, in words that quote nothing
    /// of what lies behind the path.
    public func read(_ path: String, maxBytes: Int) -> Result<[UInt8], ConfinementRefusal> {
        if let (_, message) = refusal(path, maxBytes: maxBytes) { return .failure(ConfinementRefusal(message: "\(path): \(message)")) }
        // A path that is not itself a link may still pass through one (a linked folder).
        guard contains(path) else { return .failure(ConfinementRefusal(message: "\(path): outside \(root ?? "the folder"); not read")) }
        guard let data = FileManager.default.contents(atPath: path) else { return .failure(ConfinementRefusal(message: "\(path): cannot read the file")) }
        return .success([UInt8](data))
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Why a confined read was refused.
public struct ConfinementRefusal: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
