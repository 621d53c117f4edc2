import Foundation
import GalleryCore
import XCTest

// What the conformance suites (GalleryConformanceTests, Swift Testing) and the backends' own
// tests (GalleryEmbeddedTests, GalleryAWSTests, XCTest) share: error cases, times kept to the
// millisecond, temporary directories, claimers on real threads, sample records.

/// True when both errors are the same case, whatever their messages.
public func sameCase(_ a: GalleryError, _ b: GalleryError) -> Bool {
    switch (a, b) {
    case (.conflict, .conflict), (.invalid, .invalid), (.tooLarge, .tooLarge), (.unavailable, .unavailable):
        return true
    default:
        return a == b
    }
}

/// Fails unless `body` throws a `GalleryError` of the same case as `expected` (messages are
/// the backend's own).
public func assertThrows<T>(_ expected: GalleryError, _ message: @autoclosure () -> String = "",
                            file: StaticString = #filePath, line: UInt = #line,
                            _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected \(expected), nothing thrown. \(message())", file: file, line: line)
    } catch let error as GalleryError {
        XCTAssertTrue(sameCase(error, expected), "expected \(expected), got \(error). \(message())",
                      file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(error). \(message())", file: file, line: line)
    }
}

/// Backends keep times to the millisecond: test times are whole milliseconds so that
/// records compare equal after a round trip.
public func wholeMilliseconds(_ date: Date = Date()) -> Date {
    Date(timeIntervalSince1970: Double(Int64((date.timeIntervalSince1970 * 1000).rounded())) / 1000)
}

/// A fresh directory under the system's temporary directory, for one test.
public func makeTemporaryDirectory(_ label: String = "gallery-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Collects what claimer threads saw.
public final class ClaimLog: @unchecked Sendable {
    private let lock = NSLock()
    private var _ids: [String] = []
    private var _errors: [Error] = []

    public init() {}

    public func add(_ id: String) { lock.lock(); _ids.append(id); lock.unlock() }
    public func fail(_ error: Error) { lock.lock(); _errors.append(error); lock.unlock() }
    public var ids: [String] { lock.lock(); defer { lock.unlock() }; return _ids }
    public var errors: [Error] { lock.lock(); defer { lock.unlock() }; return _errors }
}

/// Runs `body` on `count` new threads at once and waits for them all (real threads, so the
/// claimers race even on a machine with few cores).
public func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        let thread = Thread {
            body(i)
            group.leave()
        }
        thread.start()
    }
    group.wait()
}
