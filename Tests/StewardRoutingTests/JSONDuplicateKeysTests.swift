import Testing
import StewardRouting

@Suite struct JSONDuplicateKeysTests {
    func first(_ text: String) -> String? { JSONDuplicateKeys.first(in: Array(text.utf8)) }

    @Test func aKeyTwiceInOneObjectIsFound() {
        #expect(first(#"{"revision": "a", "generation": 1, "revision": "b"}"#) == "revision")
        #expect(first(#"{"models": [{"model": "m", "salt": "s", "model": "n"}]}"#) == "model")
    }

    @Test func theSameKeyInDifferentObjectsOrAsAValueIsFine() {
        #expect(first(#"{"models": [{"model": "m"}, {"model": "n"}], "x": {"model": "model"}}"#) == nil)
        #expect(first(#"{"a": "\"a\": 1, \"a\"", "b": ["a", "a"]}"#) == nil)
        #expect(first(#"["a", "a", {"k": 1}, {"k": 2}]"#) == nil)
    }

    @Test func brokenOrHostileInputEnds() {
        #expect(first(#"{"a": "unterminated"#) == nil)
        #expect(first(String(repeating: "{\"a\":", count: 10_000)) == nil)
        #expect(first("\"\\") == nil)
    }

    @Test func anEmptyVersionIsRefused() {
        #expect(throws: RoutingError.emptyVersion(model: "m")) {
            try ModelRoute(model: "m", stickyKey: "k", salt: "s", variants: [.init(version: "", basisPoints: 10_000)])
        }
    }
}
