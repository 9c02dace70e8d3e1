import StewardYAML

/// A desired state kept file by file, so that a neighbouring commit's state
/// costs only the files that differ: `steward audit` walks history this
/// way, in memory that does not grow with the history. Syntax trees are let
/// go of and problems are not reported: a history is read, not validated.
public struct FileByFileState: Sendable {
    private var resources: [String: [Resource]] = [:]
    private let loader: DesiredStateLoader

    public init(loader: DesiredStateLoader = DesiredStateLoader()) {
        self.loader = loader
    }

    /// Sets each file to its new bytes; nil bytes: the file is gone.
    public mutating func update(_ files: [(path: String, bytes: [UInt8]?)]) {
        for (path, bytes) in files {
            guard let bytes else {
                resources[path] = nil
                continue
            }
            resources[path] = loader.decode(SourceFile(path: path, bytes: bytes)).resources.map { $0.withoutSyntaxTree() }
        }
    }

    /// The state all the files make, the first file (by path) winning a duplicate name as in a full load.
    public var state: DesiredState {
        var state = DesiredState()
        for path in resources.keys.sorted() {
            for resource in resources[path]! { _ = state.insert(resource) }
        }
        return state
    }
}
