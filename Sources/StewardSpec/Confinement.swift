import Foundation

/// Keeps reading inside one directory: a pull request may add any file, so
/// a symbolic link to `/etc/passwd` or to a token must never be read (and
/// so never echoed in a diagnostic), and a path with `..` must not leave.
struct Confinement {
    /// The directory's real path, symbolic links resolved.
    let root: String?

    init(directory: String) {
        root = Self.realPath(directory)
    }

    /// Whether `path`, resolved, is the directory or inside it.
    func contains(_ path: String) -> Bool {
        guard let root, let real = Self.realPath(path) else { return false }
        return real == root || real.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// Why a file found inside the directory must not be read, if it must not:
    /// a symbolic link that leaves the directory or leads nowhere, or a file
    /// too large to read (checked before reading a byte).
    func refusal(_ path: String, maxBytes: Int) -> (code: String, message: String)? {
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

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
