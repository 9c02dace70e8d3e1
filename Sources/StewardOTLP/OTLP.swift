/// Short names for the OTLP trace messages Steward reads (their protobuf
/// package is OpenTelemetry's, so that nothing about them is Steward's own).
public typealias OTLPExportRequest = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest
public typealias OTLPExportResponse = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse
public typealias OTLPSpan = Opentelemetry_Proto_Collector_Trace_V1_Span
public typealias OTLPKeyValue = Opentelemetry_Proto_Collector_Trace_V1_KeyValue
public typealias OTLPAnyValue = Opentelemetry_Proto_Collector_Trace_V1_AnyValue

extension OTLPKeyValue {
    /// `key` = the string `value`.
    public init(_ key: String, text value: String) {
        self.init()
        self.key = key
        self.value.stringValue = value
    }
}

extension OTLPAnyValue {
    /// The value as text, if it is a string.
    public var text: String? {
        if case .stringValue(let text)? = value { text } else { nil }
    }

    /// The value as a number: an int, a double, or a string that reads as one.
    public var number: Double? {
        switch value {
        case .intValue(let n)?: Double(n)
        case .doubleValue(let d)?: d
        case .stringValue(let s)?: Double(s)
        default: nil
        }
    }

    /// The value as a flag: a bool, or the string `true`/`false`.
    public var flag: Bool? {
        switch value {
        case .boolValue(let b)?: b
        case .stringValue("true")?: true
        case .stringValue("false")?: false
        default: nil
        }
    }
}
