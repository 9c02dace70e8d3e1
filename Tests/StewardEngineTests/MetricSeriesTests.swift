import Testing
import StewardEngine

@Suite struct MetricSeriesTests {
    @Test(arguments: ["\n", "\r\n", "\r"])
    func aSpreadsheetsLineEndsAndByteOrderMarkAreRead(lineEnd: String) throws {
        let text = "\u{FEFF}" + ["minute,version,metric,value,samples", "1,1.0.0,error-rate,0.01,100", "2,1.0.0,error-rate,0.02,100", ""]
            .joined(separator: lineEnd)
        let rows = try MetricSeries.csv(text, "m.csv")
        #expect(rows.map(\.minute) == [1, 2])
        #expect(rows.map(\.value) == [0.01, 0.02])
    }

    @Test func aBadRowNamesItsLine() throws {
        let text = "minute,version,metric,value,samples\r\n1,1.0.0,error-rate,0.01,100\r\n2,1.0.0,error-rate,x,100\r\n"
        #expect(throws: MetricSeries.ParseError.self) { try MetricSeries.csv(text, "m.csv") }
        do {
            _ = try MetricSeries.csv(text, "m.csv")
        } catch let error as MetricSeries.ParseError {
            #expect(error.line == 3)
            #expect(error.file == "m.csv")
        }
    }

    @Test func rateMeanAndPlainRowsShareOneFileWithEmptyOptionalCells() throws {
        let text = """
            minute,version,metric,value,samples,events,sd
            1,1.0.0,error-rate,0.02,100,2,
            1,1.0.0,rating,4.1,30,,0.8
            1,1.0.0,latency,812,100,,
            """
        let rows = try MetricSeries.csv(text, "m.csv")
        #expect(rows.map(\.events) == [2, nil, nil])
        #expect(rows.map(\.sd) == [nil, 0.8, nil])
        // A cell that is there must still be a number.
        #expect(throws: MetricSeries.ParseError.self) {
            try MetricSeries.csv("minute,version,metric,value,samples,events\n1,1.0.0,e,0.1,10,x\n", "m.csv")
        }
    }
}

/// Rows a replay used to guess about (the second hardening pass): each is
/// now refused with its file and line.
@Suite struct MetricSeriesRefusalTests {
    static let expected = MetricSeries.Expectations(rollout: "r", metricsReadingRates: ["error-rate": true, "latency-p95": false, "rating": false],
                                                    versions: ["1.0.0", "1.1.0"])

    func refusal(_ body: String, expected: MetricSeries.Expectations? = Self.expected) -> MetricSeries.ParseError? {
        do {
            let rows = try MetricSeries.csv("minute,version,metric,value,samples,events,sd\n" + body, "m.csv")
            try MetricSeries.check(rows, path: "m.csv", against: expected)
            return nil
        } catch let error as MetricSeries.ParseError {
            return error
        } catch {
            return nil
        }
    }

    @Test func aColumnTwiceIsRefused() {
        #expect(throws: MetricSeries.ParseError.self) { try MetricSeries.csv("minute,version,metric,value,samples,events,events\n", "m.csv") }
    }

    @Test(arguments: [
        ("1,1.1.0,error-rate,0.01,1000,91,\n", "disagrees with events/samples = 0.091"),
        ("1,1.1.0,error-rate,0.5,10,-5,\n", "events must be a whole number from 0 to samples"),
        ("1,1.1.0,error-rate,1,10,11,\n", "events must be a whole number from 0 to samples"),
        ("1,1.1.0,error-rate,0,10,nan,\n", "events must be a whole number from 0 to samples"),
        ("1,1.1.0,error-rate,0,10,1e308,\n", "events must be a whole number from 0 to samples"),
        ("1,1.1.0,rating,4,30,,-0.8\n", "sd must be a number ≥ 0"),
        ("1,1.1.0,rating,4,30,,inf\n", "sd must be a number ≥ 0"),
        ("1,1.1.0,latency-p95,2400,100,5,\n", "events is for rates; metric 'latency-p95' is not a rate"),
        ("1,1.1.0,error-rate,0.1,10,1,0.2\n", "not both"),
        ("1,1.1.0,errors,0.1,10,1,\n", "metric 'errors' is not in the analysis of rollout r"),
        ("1,9.9.9,error-rate,0.1,10,1,\n", "version 9.9.9 is neither the stable nor the canary"),
        ("1,1.1.0,error-rate,0.1,10,1,\n1,1.1.0,error-rate,0.1,10,1,\n", "a second row for minute 1, version 1.1.0, metric error-rate (the first is at line 2)"),
    ])
    func aRowThatWouldBeGuessedAboutIsRefused(body: String, message: String) {
        let error = refusal(body)
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        #expect(error?.line ?? 0 >= 2)
    }

    @Test func rowsThatAgreeAreAccepted() {
        #expect(refusal("1,1.1.0,error-rate,0.091,1000,91,\n1,1.1.0,rating,4.1,30,,0.8\n1,1.1.0,latency-p95,900,100,,\n") == nil)
    }
}
