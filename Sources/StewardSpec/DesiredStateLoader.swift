import Foundation
import StewardYAML

/// Turns files into a validated ``DesiredState``, reporting every problem
/// in every file at once.
public struct DesiredStateLoader: Sendable {
    public var parser: YAMLParser

    public init(parser: YAMLParser = YAMLParser()) {
        self.parser = parser
    }

    /// Why a directory could not be read at all.
    public enum LoadError: Error, CustomStringConvertible {
        case notFound(String)
        case notADirectory(String)
        case unreadable(String, String)
        /// An included path that leads outside the directory (by `..` or a symbolic link).
        case outside(String, String)

        public var description: String {
            switch self {
            case .notFound(let path): "\(path): no such file or directory"
            case .notADirectory(let path): "\(path): not a directory"
            case .unreadable(let path, let why): "\(path): cannot be read: \(why)"
            case .outside(let path, let directory): "\(path): outside \(directory); only files inside it are read"
            }
        }
    }

    /// Loads files already in memory (a checkout, or a commit's tree).
    public func load(_ files: [SourceFile]) -> LoadResult {
        let bag = DiagnosticBag()
        var state = DesiredState()
        for (file, decoded) in zip(files, decodeConcurrently(files)) {
            for diagnostic in Self.capped(decoded.diagnostics, at: Self.maxDiagnosticsPerFile, file: file.path) { bag.add(diagnostic) }
            for resource in decoded.resources {
                if let first = state.insert(resource) {
                    let place = first.source.position(of: ["metadata", "name"])
                    bag.add(resource.source.diagnostic(
                        .error, "duplicate-name",
                        "\(resource.kind.rawValue) '\(resource.metadata.name)' is already defined at \(first.source.file):\(place.line):\(place.column)",
                        at: ["metadata", "name"]))
                }
            }
        }
        for diagnostic in SemanticValidator(state: state).validate() { bag.add(diagnostic) }
        return LoadResult(
            state: state,
            diagnostics: Self.capped(bag.diagnostics.sorted(by: Diagnostic.sourceOrder), at: Self.maxDiagnostics, file: nil),
            files: files.map(\.path))
    }

    /// At most this many problems are reported for one file, and in all: a
    /// hostile file (40 KB of aliases) could otherwise print half a million.
    public static let maxDiagnosticsPerFile = 100
    public static let maxDiagnostics = 1_000

    /// The first `limit` diagnostics, then one that says how many more there were.
    static func capped(_ diagnostics: [Diagnostic], at limit: Int, file: String?) -> [Diagnostic] {
        guard diagnostics.count > limit else { return diagnostics }
        let kept = Array(diagnostics.prefix(limit))
        let last = kept.last!
        let place = file.map { " in \($0)" } ?? ""
        // Placed just after the last one kept, so that it stays last in source order.
        return kept + [Diagnostic(.error, code: "too-many-diagnostics", "… and \(diagnostics.count - limit) more problems\(place), not shown",
                                  file: last.file, line: last.line, column: last.column + 1)]
    }

    /// Parses and decodes each file on its own, on every core; the files
    /// share nothing until their resources are merged.
    private func decodeConcurrently(_ files: [SourceFile]) -> [(resources: [Resource], diagnostics: [Diagnostic])] {
        // Each iteration writes only its own slot.
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<(resources: [Resource], diagnostics: [Diagnostic])>.allocate(capacity: files.count)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            (results.baseAddress! + i).initialize(to: decode(files[i]))
        }
        defer { _ = results.deinitialize() }
        return Array(results)
    }

    /// One file's resources and problems. A document with nothing written in
    /// it (a file ending in `---`) holds no resource and is no problem.
    func decode(_ file: SourceFile) -> (resources: [Resource], diagnostics: [Diagnostic]) {
        let bag = DiagnosticBag()
        var documents: [YAMLDocument] = []
        do throws(YAMLError) {
            documents = try parser.parse(file.bytes, file: file.path)
        } catch {
            bag.add(Diagnostic(error))
        }
        return (documents.filter { !$0.isEmpty }.compactMap { Resource.decode($0, bag: bag) }, bag.diagnostics)
    }

    /// Loads every `*.yaml` and `*.yml` file under `paths` of `directory`
    /// (hidden files and folders, such as `.git`, are skipped). Diagnostics
    /// name files as `directory/relative/path`.
    ///
    /// `excluding` leaves out paths (relative to `directory`, folders
    /// without a trailing slash) that are not part of the desired state,
    /// such as what git ignores or a submodule.
    public func load(directory: String, paths: [String] = ["."], excluding: (String) -> Bool = { _ in false }) throws(LoadError) -> LoadResult {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else { throw .notFound(directory) }
        guard isDirectory.boolValue else { throw .notADirectory(directory) }
        guard FileManager.default.isReadableFile(atPath: directory) else { throw .unreadable(directory, "permission denied") }

        let inside = Confinement(directory: directory)
        for path in paths where FileManager.default.fileExists(atPath: Self.join(directory, path)) && !inside.contains(Self.join(directory, path)) {
            throw .outside(Self.join(directory, path), directory)
        }
        var files: [SourceFile] = []
        let listing = try yamlFiles(in: directory, under: paths, excluding: excluding)
        // A folder that cannot be listed would otherwise hide its files without a word.
        var unreadable = listing.unreadableFolders.map { folder in
            Diagnostic(.error, code: "unreadable-folder", "cannot list this folder (permission denied); the files in it are not read",
                       file: Self.join(directory, folder), line: 1, column: 1)
        }
        for relative in listing.files {
            let display = Self.join(directory, relative)
            if let refusal = inside.refusal(display, maxBytes: parser.limits.maxFileBytes) {
                unreadable.append(Diagnostic(.error, code: refusal.code, refusal.message, file: display, line: 1, column: 1))
                continue
            }
            guard let data = FileManager.default.contents(atPath: display) else {
                unreadable.append(Diagnostic(.error, code: "unreadable-file", "cannot read this file", file: display, line: 1, column: 1))
                continue
            }
            files.append(SourceFile(path: display, bytes: [UInt8](data)))
        }
        var result = load(files)
        if files.isEmpty && unreadable.isEmpty {
            result.diagnostics.append(Diagnostic(
                .error, code: "no-files", "no *.yaml or *.yml files found under \(paths.joined(separator: ", "))",
                file: directory, line: 1, column: 1))
        }
        result.diagnostics = (result.diagnostics + unreadable).sorted(by: Diagnostic.sourceOrder)
        return result
    }

    private func yamlFiles(in directory: String, under paths: [String],
                           excluding: (String) -> Bool) throws(LoadError) -> (files: [String], unreadableFolders: [String]) {
        var found: Set<String> = []
        var unreadableFolders: [String] = []
        for path in paths {
            let root = Self.join(directory, path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else { throw .notFound(root) }
            if !isDirectory.boolValue {
                if Self.isYAML(path) { found.insert(Self.normalize(path)) }
                continue
            }
            guard let walker = FileManager.default.enumerator(atPath: root) else { throw .unreadable(root, "cannot list it") }
            let prefix = Self.normalize(path) == "." ? "" : Self.normalize(path) + "/"
            while let entry = walker.nextObject() as? String {
                let name = entry.split(separator: "/").last ?? ""
                var isFolder: ObjCBool = false
                if name.hasPrefix(".") || excluding(prefix + entry) {
                    // Hidden folders (.git, .github) are not desired state, nor what the caller excludes.
                    walker.skipDescendants()
                    continue
                }
                let full = root + "/" + entry
                if !Self.isYAML(entry), FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), isFolder.boolValue,
                   access(full, R_OK | X_OK) != 0 {
                    unreadableFolders.append(prefix + entry)
                }
                guard Self.isYAML(entry) else { continue }
                // Symbolic links are listed (and then refused or read by `Confinement`), dangling ones too.
                let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + entry)) != nil
                guard isLink || (FileManager.default.fileExists(atPath: root + "/" + entry, isDirectory: &isFolder) && !isFolder.boolValue)
                else { continue }
                found.insert(prefix + entry)
            }
        }
        return (found.sorted(), unreadableFolders.sorted())
    }

    private static func isYAML(_ path: String) -> Bool { path.hasSuffix(".yaml") || path.hasSuffix(".yml") }

    private static func normalize(_ path: String) -> String {
        path.hasPrefix("./") ? String(path.dropFirst(2)) : path
    }

    private static func join(_ directory: String, _ relative: String) -> String {
        let relative = normalize(relative)
        if relative == "." || relative.isEmpty { return directory }
        if relative.hasPrefix("/") || directory == "." { return relative }
        return directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }
}
