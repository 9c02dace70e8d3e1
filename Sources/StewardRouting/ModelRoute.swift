/// How one model's traffic is split, and the sticky decision for a key.
///
/// Variants take consecutive ranges of the 10,000 buckets in the order
/// given, from bucket 0 upward. Put the version whose share ramps right
/// before the last one (the stable version, which takes what is left):
/// then raising its share moves keys only from stable to it, and lowering
/// it moves keys only back to stable.
public struct ModelRoute: Sendable, Hashable, Codable {
    /// A version and its share of traffic, in basis points (1/100 of a percent).
    public struct Variant: Sendable, Hashable, Codable {
        public var version: String
        public var basisPoints: Int

        public init(version: String, basisPoints: Int) {
            self.version = version
            self.basisPoints = basisPoints
        }
    }

    public let model: String
    /// The request attribute gateways bucket by, e.g. `user_id`.
    public let stickyKey: String
    /// Changing the salt reshuffles every key, on purpose.
    public let salt: String
    public let variants: [Variant]
    /// Exclusive upper bucket of each variant, cumulative.
    private let upperBounds: [Int]
    private let prefixState: UInt64

    /// Checks that shares are non-negative and add up to 10,000.
    public init(model: String, stickyKey: String, salt: String, variants: [Variant]) throws(RoutingError) {
        guard !variants.isEmpty else { throw .noVariants(model: model) }
        var total = 0
        var bounds: [Int] = []
        for variant in variants {
            guard !variant.version.isEmpty else { throw .emptyVersion(model: model) }
            guard variant.basisPoints >= 0 else { throw .negativeShare(model: model, version: variant.version) }
            // Shares past the whole can never sum to it; adding them could overflow and trap a gateway.
            let (sum, overflow) = total.addingReportingOverflow(variant.basisPoints)
            guard !overflow, sum <= Int(StickyHash.bucketCount) else {
                throw .sharesDoNotSum(model: model, total: overflow ? Int.max : sum)
            }
            total = sum
            bounds.append(total)
        }
        guard total == Int(StickyHash.bucketCount) else { throw .sharesDoNotSum(model: model, total: total) }
        self.model = model
        self.stickyKey = stickyKey
        self.salt = salt
        self.variants = variants
        self.upperBounds = bounds
        self.prefixState = StickyHash.prefixState(salt: salt)
    }

    /// The version for the variant whose range holds `bucket`.
    @inlinable
    public func version(forBucket bucket: Int) -> String {
        variants[variantIndex(forBucket: bucket)].version
    }

    /// The index of the variant whose range holds `bucket`.
    @usableFromInline
    func variantIndex(forBucket bucket: Int) -> Int {
        var index = 0
        while index < upperBounds.count - 1, bucket >= upperBounds[index] { index += 1 }
        return index
    }

    /// The bucket of a key under this route's salt.
    public func bucket(forKey key: String) -> Int {
        StickyHash.bucket(prefixState: prefixState, key: key)
    }

    /// The sticky decision: the same key gets the same version for the
    /// same route. A request without a key gets a uniformly random bucket.
    public func route(key: String?) -> String {
        guard let key else {
            var random = SystemRandomNumberGenerator()
            return version(forBucket: Int(random.next(upperBound: StickyHash.bucketCount)))
        }
        return version(forBucket: bucket(forKey: key))
    }

    private enum CodingKeys: String, CodingKey { case model, stickyKey, salt, variants }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            model: c.decode(String.self, forKey: .model),
            stickyKey: c.decode(String.self, forKey: .stickyKey),
            salt: c.decode(String.self, forKey: .salt),
            variants: c.decode([Variant].self, forKey: .variants))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(stickyKey, forKey: .stickyKey)
        try c.encode(salt, forKey: .salt)
        try c.encode(variants, forKey: .variants)
    }
}
