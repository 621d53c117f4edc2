import Foundation
import GalleryCore
import XCTest

/// Fails unless `body` throws a `GalleryError` of the same case as `expected` (messages are
/// compared only when `expected` carries a non-empty one).
func expectError<T>(_ expected: GalleryError, _ message: @autoclosure () -> String = "",
                    file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected \(expected), nothing thrown. \(message())", file: file, line: line)
    } catch let error as GalleryError {
        let same: Bool
        switch (error, expected) {
        case (.conflict, .conflict(let m)), (.invalid, .invalid(let m)), (.tooLarge, .tooLarge(let m)),
             (.unavailable, .unavailable(let m)):
            same = m.isEmpty || error == expected
        default:
            same = error == expected
        }
        XCTAssertTrue(same, "expected \(expected), got \(error). \(message())", file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(error). \(message())", file: file, line: line)
    }
}
