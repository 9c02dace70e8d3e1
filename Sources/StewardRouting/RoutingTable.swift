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
    /// Open-addressing index from model name to position in `models`,
    /// hashed with the same FNV-1a: cheaper per lookup than `Dictionary`'s
    /// seeded SipHash, which matters on the per-request path.
    private var slots: [Int32]

    public init(generation: UInt64, revision: String, models: [ModelRoute]) throws(RoutingError) {
        var capacity = 8
        while capacity < models.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: -1, count: capacity)
        for (i, route) in models.enumerated() {
            var slot = Self.home(of: route.model, mask: capacity - 1)
            while slots[slot] >= 0 {
                guard models[Int(slots[slot])].model != route.model else { throw .duplicateModel(route.model) }
                slot = (slot + 1) & (capacity - 1)
            }
            slots[slot] = Int32(i)
        }
        self.generation = generation
        self.revision = revision
        self.models = models
        self.slots = slots
    }

    private static func home(of model: String, mask: Int) -> Int {
        Int(truncatingIfNeeded: StickyHash.mix(StickyHash.fnv1a(model))) & mask
    }

    /// The route of a model, if the table has it.
    public subscript(model: String) -> ModelRoute? {
        position(of: model).map { models[$0] }
    }

    /// The version serving `model` for `key`; nil for an unknown model.
    public func route(model: String, key: String?) -> String? {
        // Borrow the route in place: copying it out would cost retains.
        guard let position = position(of: model) else { return nil }
        return models[position].route(key: key)
    }

    private func position(of model: String) -> Int? {
        let mask = slots.count - 1
        var slot = Self.home(of: model, mask: mask)
        while slots[slot] >= 0 {
            let position = Int(slots[slot])
            if models[position].model == model { return position }
            slot = (slot + 1) & mask
        }
        return nil
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
    case emptyVersion(model: String)
    /// A JSON key written twice in one object (see ``JSONDuplicateKeys``).
    case duplicateKey(String)

    public var description: String {
        switch self {
        case .noVariants(let model): "model \(model): a route needs at least one variant"
        case .negativeShare(let model, let version): "model \(model): version \(version) has a negative share"
        case .sharesDoNotSum(let model, let total): "model \(model): shares add up to \(total) basis points, not 10000"
        case .duplicateModel(let model): "model \(model) appears twice in the table"
        case .unsupportedSchema(let schema): "routing table schema \(schema) is not supported (expected 1)"
        case .emptyVersion(let model): "model \(model): a variant's version is empty"
        case .duplicateKey(let key): "the key \"\(key)\" is written twice in one object; readers disagree on which to keep"
        }
    }
}
