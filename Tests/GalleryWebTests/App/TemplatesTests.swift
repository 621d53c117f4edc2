import XCTest
import GalleryHTTP
@testable import GalleryWeb

/// Page data as handlers build it: boxed optionals are dropped or unwrapped, at any depth.
final class TemplatesTests: XCTestCase {
    func testNilsAreDroppedAndOptionalsUnwrapped() {
        let none: String? = nil
        let some: String? = "x"
        let clean = Templates.withoutNils([
            "none": none as Any, "some": some as Any, "plain": 1, "flag": false,
            "nested": ["none": none as Any, "some": some as Any] as [String: Any],
            "list": [["none": none as Any, "n": 2]] as [[String: Any]],
        ])
        XCTAssertEqual(Set(clean.keys), ["some", "plain", "flag", "nested", "list"])
        XCTAssertEqual(clean["some"] as? String, "x")
        XCTAssertTrue(type(of: clean["some"]!) == String.self, "unwrapped, not a boxed Optional")
        XCTAssertEqual(clean["plain"] as? Int, 1)
        XCTAssertEqual(clean["flag"] as? Bool, false)
        let nested = clean["nested"] as? [String: Any]
        XCTAssertEqual(nested.map { Set($0.keys) }, ["some"])
        XCTAssertEqual((clean["list"] as? [[String: Any]]).map { $0.map { Set($0.keys) } }, [["n"]])
    }
}
