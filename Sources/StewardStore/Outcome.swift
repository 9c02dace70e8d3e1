import StewardEngine

/// One request's outcome, as a gateway reports it to `POST /v1/outcomes`.
public struct Outcome: Sendable, Codable, Hashable {
    public var model: String
    public var version: String
    /// When the request was served, in seconds since the epoch.
    public var time: Double
    public var latencyMs: Double
    public var ok: Bool
    public var inputTokens: Double?
    public var outputTokens: Double?
    public var cost: Double?
    public var rating: Double?
    public var hallucination: Bool?
    public var safetyViolation: Bool?

    public init(model: String, version: String, time: Double, latencyMs: Double, ok: Bool, inputTokens: Double? = nil,
                outputTokens: Double? = nil, cost: Double? = nil, rating: Double? = nil, hallucination: Bool? = nil,
                safetyViolation: Bool? = nil) {
        self.model = model
        self.version = version
        self.time = time
        self.latencyMs = latencyMs
        self.ok = ok
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cost = cost
        self.rating = rating
        self.hallucination = hallucination
        self.safetyViolation = safetyViolation
    }

    /// Why this outcome cannot be kept, or nil when it can.
    public var problem: String? { problem(now: nil) }

    /// How far ahead of the receiver's clock an outcome's time may be.
    public static let clockSkew = 86_400.0

    /// What is wrong with the outcome, if anything; with `now`, a time more
    /// than `clockSkew` ahead of it is refused too (milliseconds or
    /// nanoseconds sent as seconds, which would be stored and never pruned).
    public func problem(now: Double?) -> String? {
        if model.isEmpty { return "model is empty" }
        if version.isEmpty { return "version is empty" }
        if !time.isFinite || time <= 0 { return "time must be a moment after 1970" }
        if let now, time > now + Self.clockSkew {
            return "time \(time) is more than a day ahead of the agent's clock: send seconds since 1970 (not milliseconds) or an ISO 8601 time"
        }
        if !latencyMs.isFinite || latencyMs < 0 { return "latencyMs must be a number ≥ 0" }
        for (name, value) in [("inputTokens", inputTokens), ("outputTokens", outputTokens), ("cost", cost)] {
            if let value, !value.isFinite || value < 0 { return "\(name) must be a number ≥ 0" }
        }
        if let rating, !rating.isFinite || !(1...5).contains(rating) { return "rating must be between 1 and 5" }
        return nil
    }

    /// Adds this outcome to a tally.
    public func add(to tally: inout OutcomeTally) {
        tally.requests += 1
        if !ok { tally.errors += 1 }
        if let hallucination {
            tally.hallucinationChecks += 1
            if hallucination { tally.hallucinations += 1 }
        }
        if let safetyViolation {
            tally.safetyChecks += 1
            if safetyViolation { tally.safetyViolations += 1 }
        }
        tally.latency.record(milliseconds: latencyMs)
        if let rating { tally.rating.add(rating) }
        if let cost { tally.cost.add(cost) }
        if inputTokens != nil || outputTokens != nil { tally.tokens.add((inputTokens ?? 0) + (outputTokens ?? 0)) }
    }
}
