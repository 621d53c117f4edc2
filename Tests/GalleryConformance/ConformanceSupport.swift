import Foundation
import GalleryCore
import XCTest

// The seam whose suite is still here (XCTest: image intake) is wired as below; the blob, job,
// metadata, catalog and identity seams have moved to GalleryConformanceTests, where one Swift
// Testing suite runs each check over every backend (`@Test(arguments:)`), and it is to follow.
//
// How a backend runs a suite. XCTest on Linux does not run test methods a test class
// inherits, so the suites are plain classes whose `public func test…()` methods each
// backend's XCTestCase calls from a method of the same name:
//
//     final class EmbeddedJobQueueTests: XCTestCase {
//         var suite: JobQueueConformance!
//         override func setUpWithError() throws { suite = JobQueueConformance(queue: try makeQueue()) }
//         func testClaimWhenEmpty() throws { try suite.testClaimWhenEmpty() }
//         …
//         func testEveryCheckIsWired() throws {
//             try assertEveryCheckWired(suiteSource: JobQueueConformance.sourceFile, testSource: #filePath)
//         }
//     }
//
// `assertEveryCheckWired` reads both source files, so a check added to a suite fails every
// backend that does not run it yet.

/// Fails unless every `public func testX()` of the suite's source file has a `func testX()`
/// in the backend's test file. `except` names checks a backend cannot run, each with the
/// reason (e.g. a test server that does not check confirmation codes), so that the gap is
/// written down where the backend's tests are.
public func assertEveryCheckWired(suiteSource: String, testSource: String, except: [String: String] = [:],
                                  file: StaticString = #filePath, line: UInt = #line) throws {
    let checks = try testMethodNames(in: suiteSource, prefix: "public func ")
    let wired = try testMethodNames(in: testSource, prefix: "func ")
    XCTAssertFalse(checks.isEmpty, "no checks found in \(suiteSource)", file: file, line: line)
    for name in except.keys where !checks.contains(name) {
        XCTFail("\(name) is excused but is no check of \((suiteSource as NSString).lastPathComponent)", file: file, line: line)
    }
    for check in checks.subtracting(wired).subtracting(except.keys).sorted() {
        XCTFail("\(check) of \((suiteSource as NSString).lastPathComponent) is not run by \((testSource as NSString).lastPathComponent)",
                file: file, line: line)
    }
}

private func testMethodNames(in path: String, prefix: String) throws -> Set<String> {
    let source = try String(contentsOfFile: path, encoding: .utf8)
    var names = Set<String>()
    for line in source.split(separator: "\n") {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard let range = trimmed.range(of: prefix + "test") else { continue }
        let rest = trimmed[range.lowerBound...].dropFirst(prefix.count)
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        if rest.dropFirst(name.count).hasPrefix("()") { names.insert(String(name)) }
    }
    return names
}

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

public func assertSameMillisecond(_ a: Date?, _ b: Date?, _ message: @autoclosure () -> String = "",
                                  file: StaticString = #filePath, line: UInt = #line) {
    guard let a, let b else {
        XCTAssertTrue(a == nil && b == nil, "\(String(describing: a)) ≠ \(String(describing: b)). \(message())",
                      file: file, line: line)
        return
    }
    XCTAssertEqual(a.timeIntervalSince1970, b.timeIntervalSince1970, accuracy: 0.001, message(), file: file, line: line)
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
