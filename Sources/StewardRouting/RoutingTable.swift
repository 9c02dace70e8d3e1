/// What gateways route by: every model's split, and where it came from.
///
/// A gateway never asks the agent per request: it holds the table and
/// decides locally with ``route(model:key:)``.
public struct RoutingTable: Sendable, Hashable, Codable {
    /// The version of the table's JSON shape.
    public var schema: Int = 1
    /// Increases with every table the agent publishes.
    public var generation: UInt64
    /// The git revision the table was computed from.
    public var revision: String
    public private(set) var models: [ModelRoute]
    private var index: [String: Int]

    public init(generation: UInt64, revision: String, models: [ModelRoute]) throws(RoutingError) {
        var index: [String: Int] = [:]
        for (i, route) in models.enumerated() {
            guard index.updateValue(i, forKey: route.model) == nil else { throw .duplicateModel(route.model) }
        }
        self.generation = generation
        self.revision = revision
        self.models = models
        self.index = index
    }

    /// The route of a model, if the table has it.
    public subscript(model: String) -> ModelRoute? {
        index[model].map { models[$0] }
    }

    /// The version serving `model` for `key`; nil for an unknown model.
    public func route(model: String, key: String?) -> String? {
        self[model]?.route(key: key)
    }

    private enum CodingKeys: String, CodingKey { case schema, generation, revision, models }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let schema = try c.decode(Int.self, forKey: .schema)
        guard schema == 1 else { throw RoutingError.unsupportedSchema(schema) }
        try self.init(
            generation: c.decode(UInt64.self, forKey: .generation),
            revision: c.decode(String.self, forKey: .revision),
            models: c.decode([ModelRoute].self, forKey: .models))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(generation, forKey: .generation)
        try c.encode(revision, forKey: .revision)
        try c.encode(models, forKey: .models)
    }
}

/// Why a routing table is not valid.
public enum RoutingError: Error, Sendable, Hashable, CustomStringConvertible {
    case noVariants(model: String)
    case negativeShare(model: String, version: String)
    case sharesDoNotSum(model: String, total: Int)
    case duplicateModel(String)
    case unsupportedSchema(Int)

    public var description: String {
        switch self {
        case .noVariants(let model): "model \(model): a route needs at least one variant"
        case .negativeShare(let model, let version): "model \(model): version \(version) has a negative share"
        case .sharesDoNotSum(let model, let total): "model \(model): shares add up to \(total) basis points, not 10000"
        case .duplicateModel(let model): "model \(model) appears twice in the table"
        case .unsupportedSchema(let schema): "routing table schema \(schema) is not supported (expected 1)"
        }
    }
}
