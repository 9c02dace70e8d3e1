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
