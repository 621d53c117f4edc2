import XCTest
import GalleryHTTP

final class CookieHeaderTests: XCTestCase {
    func testPairs() {
        XCTAssertEqual(CookieHeader.parse("session=abc123; theme=dark"),
                       ["session": "abc123", "theme": "dark"])
        XCTAssertEqual(CookieHeader.parse(""), [:])
    }

    func testSpacesAroundPairsNamesAndValuesAreTrimmed() {
        XCTAssertEqual(CookieHeader.parse("  a = 1 ;\tb=2  ;c=3"), ["a": "1", "b": "2", "c": "3"])
    }

    func testQuotedValuesAreUnquoted() {
        XCTAssertEqual(CookieHeader.parse(#"a="quoted"; b=""; c="with space""#),
                       ["a": "quoted", "b": "", "c": "with space"])
        // An unbalanced or inner quote is garbage: that pair alone is dropped.
        XCTAssertEqual(CookieHeader.parse(#"bad="open; worse=a"b; ok=1"#), ["ok": "1"])
    }

    func testValuesMayHoldEquals() {
        XCTAssertEqual(CookieHeader.parse("t=YWJj==; e="), ["t": "YWJj==", "e": ""])
    }

    func testFirstOfDuplicatesWins() {
        XCTAssertEqual(CookieHeader.parse("id=first; id=second; ID=other"), ["id": "first", "ID": "other"])
    }

    func testGarbageIsSkippedNotFatal() {
        let header = "junk; =novalue; a b=c; ok=1; ctl=x\u{01}y; del=\u{7F}; ;;; (p)=2; good_2=yes"
        XCTAssertEqual(CookieHeader.parse(header), ["ok": "1", "good_2": "yes"])
    }

    func testNonASCIIValuesPassThrough() {
        XCTAssertEqual(CookieHeader.parse("name=café"), ["name": "café"])
    }

    func testCountIsLimited() {
        let header = (0..<500).map { "c\($0)=\($0)" }.joined(separator: "; ")
        let cookies = CookieHeader.parse(header)
        XCTAssertEqual(cookies.count, CookieHeader.defaultMaxCookies)
        XCTAssertEqual(cookies["c0"], "0")
        XCTAssertNil(cookies["c64"])
        XCTAssertEqual(CookieHeader.parse(header, maxCookies: 2), ["c0": "0", "c1": "1"])
    }
}
