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
}
