import XCTest
import GalleryHTTP

final class URLEncodedTests: XCTestCase {
    func testPlusIsSpaceAndPercentEscapesDecode() throws {
        let fields = try URLEncoded.parse("q=hello+world&name=caf%C3%A9&sym=%2B%26%3d%25&lower=%e2%82%ac")
        XCTAssertEqual(fields.first("q"), "hello world")
        XCTAssertEqual(fields.first("name"), "café")
        XCTAssertEqual(fields.first("sym"), "+&=%")
        XCTAssertEqual(fields.first("lower"), "€")
    }

    func testNamesAreDecodedToo() throws {
        let fields = try URLEncoded.parse("a+b%5B%5D=1")
        XCTAssertEqual(fields.first("a b[]"), "1")
    }

    func testEmptyValuesAndEmptySegments() throws {
        let fields = try URLEncoded.parse("a=&b&&c=3&")
        XCTAssertEqual(fields.count, 3)
        XCTAssertEqual(fields.first("a"), "")
        XCTAssertEqual(fields.first("b"), "")
        XCTAssertEqual(fields.first("c"), "3")
        XCTAssertNil(fields.first("d"))
        XCTAssertTrue(try URLEncoded.parse("").isEmpty)
        XCTAssertTrue(try URLEncoded.parse("&&&").isEmpty)
    }

    func testOnlyTheFirstEqualsSplits() throws {
        XCTAssertEqual(try URLEncoded.parse("token=abc==").first("token"), "abc==")
    }

    func testRepeatedNamesKeepOrder() throws {
        let fields = try URLEncoded.parse("tag=x&other=1&tag=y&tag=z")
        XCTAssertEqual(fields.all("tag"), ["x", "y", "z"])
        XCTAssertEqual(fields.first("tag"), "x")
        XCTAssertEqual(fields.pairs.map(\.name), ["tag", "other", "tag", "tag"])
    }

    func testBadEscapesAreMalformed() {
        for input in ["a=%", "a=%2", "a=%zz", "a=%g1", "a=1%", "%=1", "a=%%41"] {
            XCTAssertThrowsError(try URLEncoded.parse(input), input) { error in
                guard case ParseError.malformed = error else { return XCTFail("\(input): \(error)") }
            }
        }
    }

    func testInvalidUTF8IsMalformed() {
        // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate.
        for input in ["a=%FF", "a=%C3%28", "a=%C0%AF", "a=%ED%A0%80", "%C3=1"] {
            XCTAssertThrowsError(try URLEncoded.parse(input), input) { error in
                XCTAssertEqual(error as? ParseError, .malformed("A form field is not valid UTF-8."))
            }
        }
        // Raw (unescaped) bytes in a body must be UTF-8 too.
        XCTAssertThrowsError(try URLEncoded.parse([0x61, 0x3D, 0xFF, 0xFE]))
        XCTAssertEqual(try URLEncoded.parse(Array("a=é".utf8)).first("a"), "é")
    }

    func testTooManyFields() throws {
        let exactly200 = (0..<200).map { "f\($0)=v" }.joined(separator: "&")
        XCTAssertEqual(try URLEncoded.parse(exactly200).count, 200)
        XCTAssertThrowsError(try URLEncoded.parse(exactly200 + "&one=more")) { error in
            XCTAssertEqual(error as? ParseError, .tooLarge("The form has more than 200 fields."))
        }
        XCTAssertThrowsError(try URLEncoded.parse("a=1&b=2&c=3&d=4", maxFields: 3))
        // Empty segments are not fields and do not count.
        XCTAssertEqual(try URLEncoded.parse("a=1&&&&b=2", maxFields: 2).count, 2)
    }

    func testBytesAndStringAgree() throws {
        let text = "x=1+2&y=%F0%9F%93%B7&z"
        XCTAssertEqual(try URLEncoded.parse(text), try URLEncoded.parse(Array(text.utf8)))
        XCTAssertEqual(try URLEncoded.parse(text).first("y"), "📷")
    }
}
