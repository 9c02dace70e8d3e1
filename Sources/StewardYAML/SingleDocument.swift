extension NodeReader {
    /// A reader over the first document of a file that holds one (a status
    /// file, a scenario, the agent's config); nil, with the problem in `bag`,
    /// when the file is not YAML or is empty.
    public static func singleDocument(_ bytes: [UInt8], file: String, bag: DiagnosticBag, parser: YAMLParser = YAMLParser()) -> NodeReader? {
        let documents: [YAMLDocument]
        do {
            documents = try parser.parse(bytes, file: file)
        } catch {
            bag.add(Diagnostic(error))
            return nil
        }
        guard let root = documents.first?.root else {
            bag.add(Diagnostic(.error, code: "empty-file", "the file has no YAML document", file: file, line: 1, column: 1))
            return nil
        }
        return NodeReader(node: root, file: file, bag: bag)
    }
}
