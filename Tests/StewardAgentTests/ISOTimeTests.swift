import Foundation
import Testing
@testable import StewardAgent

@Suite struct ISOTimeTests {
    @Test func agreesWithFoundationsFormatter() {
        let formatter = ISO8601DateFormatter()
        for text in ["2026-11-22T10:00:00Z", "1970-01-01T00:00:00Z", "2000-02-29T23:59:59Z", "2026-03-01T00:00:00+02:00",
                     "1999-12-31T23:59:59-05:30"] {
            #expect(ISOTime.seconds(text) == formatter.date(from: text)?.timeIntervalSince1970, "\(text)")
        }
        #expect(ISOTime.seconds("2026-11-22T10:00:00.250Z") == 1_795_341_600.25)
        for bad in ["yesterday", "2026-11-22", "2026-13-01T00:00:00Z", "2026-11-22T10:00:00", "2026-11-22T10:00:00Zjunk", ""] {
            #expect(ISOTime.seconds(bad) == nil, "\(bad)")
        }
    }
}
