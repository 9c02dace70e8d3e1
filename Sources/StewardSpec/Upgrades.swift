import StewardYAML

/// A Policy's `upgrades`: where base models come from, and how far ahead a
/// retirement is announced.
public struct UpgradeSources: Sendable, Hashable {
    public var sources: [ModelSource]
    /// How often the agent or `steward upgrades` looks at the sources.
    public var checkEvery: StewardDuration
    /// How long before a base model's retirement `plan` and `status` warn.
    public var retirementNotice: StewardDuration

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["sources", "checkEvery", "retirementNotice"]) else { return nil }
        checkEvery = m.optional("checkEvery")?.duration() ?? StewardDuration(seconds: 86_400)
        retirementNotice = m.optional("retirementNotice")?.duration() ?? StewardDuration(seconds: 30 * 86_400)
        guard let sources = m.required("sources")?.list(ModelSource.init(reading:)) else { return nil }
        self.sources = sources
    }
}

/// One place base models are listed: an OpenAI-compatible model list
/// (`GET /v1/models`), or a catalog written in the repository (release and
/// retirement dates, for providers without a list and for announced
/// retirements).
public struct ModelSource: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case modelList(url: String, tokenFile: String?)
        case catalog([CatalogEntry])
    }

    public var name: String
    public var kind: Kind

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["name", "modelList", "catalog"]) else { return nil }
        let name = m.required("name")?.resourceName()
        let list = m.optional("modelList").flatMap { reader -> Kind? in
            guard let l = reader.mapping(fields: ["url", "tokenFile"]), let url = l.required("url")?.string() else { return nil }
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                l.required("url")?.error("invalid-url", "url: '\(url)' must start with http:// or https://")
                return nil
            }
            return .modelList(url: url, tokenFile: l.optional("tokenFile")?.string())
        }
        let catalog = m.optional("catalog")?.list(CatalogEntry.init(reading:)).map(Kind.catalog)
        guard let name else { return nil }
        switch (list, catalog) {
        case (let kind?, nil), (nil, let kind?):
            self.name = name
            self.kind = kind
        default:
            r.error("one-source", "a source is either a modelList or a catalog, not \(list == nil ? "neither" : "both")")
            return nil
        }
    }
}

/// A base model as a source lists it.
public struct CatalogEntry: Sendable, Hashable {
    public var name: String
    public var released: UTCDate?
    /// After this date the provider no longer serves it.
    public var retires: UTCDate?
    /// What the provider names as its replacement.
    public var successor: String?

    public init(name: String, released: UTCDate? = nil, retires: UTCDate? = nil, successor: String? = nil) {
        self.name = name
        self.released = released
        self.retires = retires
        self.successor = successor
    }

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["name", "released", "retires", "successor"]) else { return nil }
        released = m.optional("released")?.date()
        retires = m.optional("retires")?.date()
        successor = m.optional("successor")?.string()
        guard let name = m.required("name")?.string() else { return nil }
        self.name = name
    }
}

/// A Model's `upgrades`: which base models count as its upgrades, and
/// which one is proposed.
public struct UpgradeTracking: Sendable, Hashable {
    public enum Pick: String, Sendable, CaseIterable {
        /// The newest by release date (a model list's `created`).
        case newest
        /// The highest version number in the name (`gpt-5.1-mini` over `gpt-5-mini`).
        case semver
    }

    /// Glob patterns (`*` any run of characters) a base model's name must match.
    public var track: [String]
    public var pick: Pick
    /// Names never proposed (patterns too).
    public var ignore: [String]
    /// The sources to read, by name; all the policy's when empty.
    public var sources: [String]

    init?(reading r: NodeReader) {
        guard let m = r.mapping(fields: ["track", "pick", "ignore", "sources"]) else { return nil }
        pick = m.optional("pick")?.oneOf(Pick.self) ?? .newest
        ignore = m.optional("ignore")?.strings() ?? []
        sources = m.optional("sources")?.strings() ?? []
        guard let trackReader = m.required("track") else { return nil }
        if trackReader.node.scalar != nil {
            guard let one = trackReader.string() else { return nil }
            track = [one]
        } else {
            guard let many = trackReader.strings() else { return nil }
            track = many
        }
    }

    /// Whether `name` is one this model tracks and does not ignore.
    public func follows(_ name: String) -> Bool {
        track.contains { Self.glob($0, matches: name) } && !ignore.contains { Self.glob($0, matches: name) }
    }

    /// `*` matches any run of characters; everything else itself.
    public static func glob(_ pattern: String, matches name: String) -> Bool {
        let p = Array(pattern), n = Array(name)
        // The classic greedy matcher with one backtrack point: the last star.
        var i = 0, j = 0, star = -1, mark = 0
        while j < n.count {
            if i < p.count, p[i] != "*", p[i] == n[j] {
                i += 1
                j += 1
            } else if i < p.count, p[i] == "*" {
                star = i
                mark = j
                i += 1
            } else if star >= 0 {
                i = star + 1
                mark += 1
                j = mark
            } else {
                return false
            }
        }
        while i < p.count, p[i] == "*" { i += 1 }
        return i == p.count
    }
}
