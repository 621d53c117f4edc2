import XCTest
import GalleryCore
@testable import GalleryWorker

final class BackoffTests: XCTestCase {
    func testFullJitterStaysUnderTheExponentialCeiling() {
        for attempt in 1...12 {
            let ceiling = min(10, 0.5 * pow(2, Double(attempt - 1)))
            for _ in 0..<200 {
                let d = Backoff.fullJitter(attempt: attempt, base: 0.5, cap: 10)
                XCTAssert(d >= 0 && d <= ceiling, "attempt \(attempt): \(d) outside [0, \(ceiling)]")
            }
        }
        XCTAssertEqual(Backoff.exponential(attempt: 1_000, base: 1, cap: 300), 300)
        XCTAssertEqual(Backoff.exponential(attempt: 3, base: 1, cap: 300), 4)
    }

    func testJitterSpreadsDelays() {
        let delays = Set((0..<100).map { _ in Backoff.fullJitter(attempt: 4, base: 1, cap: 100) })
        XCTAssertGreaterThan(delays.count, 90, "full jitter should rarely repeat a delay")
    }

    func testIdlePollingGrowsFromTheMinimumToTheCapAndResets() {
        var poll = PollBackoff(minimum: 0.05, maximum: 1)
        let first = poll.next()
        XCTAssert(first >= 0.025 && first <= 0.05, "\(first)")
        for _ in 0..<20 { _ = poll.next() }
        let late = poll.next()
        XCTAssert(late >= 0.5 && late <= 1, "\(late)")
        poll.reset()
        XCTAssertLessThanOrEqual(poll.next(), 0.05)
    }
}

final class ChildArgumentTests: XCTestCase {
    private let request = ThumbnailChild.Request(
        parent: 4242, input: URL(fileURLWithPath: "/tmp/in put"), outDirectory: URL(fileURLWithPath: "/tmp/out"),
        format: .png, thumbnails: ThumbnailSettings(thumbnailSize: 200, previewSize: 900, quality: 70, maxPixels: 1_000_000),
        limits: ChildLimits(addressSpaceBytes: 512 << 20, cpuSeconds: 9, fileSizeBytes: 1 << 20))

    func testArgumentsRoundTrip() throws {
        let arguments = ThumbnailChild.arguments(for: request)
        XCTAssertEqual(arguments.first, ThumbnailChild.subcommand)
        XCTAssertEqual(try ThumbnailChild.parse(Array(arguments.dropFirst())), request)
    }

    func testBadArgumentsAreRefused() {
        var arguments = Array(ThumbnailChild.arguments(for: request).dropFirst())
        XCTAssertThrowsError(try ThumbnailChild.parse(arguments + ["--bogus", "1"]))
        XCTAssertThrowsError(try ThumbnailChild.parse(Array(arguments.dropLast(2))))
        arguments[arguments.firstIndex(of: "--format")! + 1] = "bmp"
        XCTAssertThrowsError(try ThumbnailChild.parse(arguments))
    }
}
