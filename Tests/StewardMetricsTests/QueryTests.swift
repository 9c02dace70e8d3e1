import StewardEngine
import StewardSpec
import Testing
@testable import StewardMetrics

@Suite struct QueryTests {
    @Test func placeholdersAreFilledIn() throws {
        let query = MetricQuery(metric: "m", model: "chat", version: try #require(SemanticVersion("1.2.3")),
                                from: Moment(secondsSinceEpoch: 0), to: Moment(secondsSinceEpoch: 600), interval: 90)
        #expect(query.render("rate(x{model=\"{{model}}\",version=\"{{version}}\"}[{{window}}])") == "rate(x{model=\"chat\",version=\"1.2.3\"}[90s])")
    }

    @Test func formsEscapeEverythingButUnreservedCharacters() {
        #expect(PrometheusSource.formEncode("sum(a{v=\"1.0\"}) + 1 / b") == "sum%28a%7Bv%3D%221.0%22%7D%29%20%2B%201%20%2F%20b")
        #expect(PrometheusSource.formEncode("é") == "%C3%A9")
        #expect(PrometheusSource.number(1700000000) == "1700000000" && PrometheusSource.number(2.5) == "2.500")
    }
}
