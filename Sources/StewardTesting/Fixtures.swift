/// Desired-state documents the test suites share, as YAML text, so that a
/// change to a kind's shape is made once.
public enum Fixtures {
    /// A version of a model and its registry status.
    public typealias Version = (version: String, status: String)

    /// Model `name` on base model `b`, with `versions`; a whole document,
    /// ending in a newline.
    public static func model(_ name: String = "m",
                             _ versions: [Version] = [("1.0.0", "production"), ("1.1.0", "candidate")]) -> String {
        """
        apiVersion: steward/v1
        kind: Model
        metadata: {name: \(name)}
        spec:
          versions:

        """ + versions.map { "    - {version: \($0.version), baseModel: b, status: \($0.status)}\n" }.joined()
    }
}
