import Foundation
import GalleryCrypto
import GalleryHTTP
import XCTest

/// A throughput check to run by hand, not a timed test (timings on shared CI machines lie):
///   GALLERY_PARSER_BENCH=1 swift test -c release --filter MultipartThroughputTests
/// It parses a ~25 MB body of real camera photos fed in 64 KiB chunks, as the responder reads
/// FastCGI stdin, and prints MB/s including hashing and writing the temporary files.
final class MultipartThroughputTests: XCTestCase {
    func testThroughputByHand() throws {
        guard ProcessInfo.processInfo.environment["GALLERY_PARSER_BENCH"] == "1" else {
            throw XCTSkip("set GALLERY_PARSER_BENCH=1 to measure multipart throughput")
        }
        let names = ["book-beside-flowers.jpg", "craft-beer.jpg", "handwritten-notes.jpg", "japanese-shop.jpg"]
        let photos = try names.map { try ParsingFixtures.photo("photos/albums/text/\($0)") }
        var body = MultipartBody()
        body.field("csrf", "token")
        var fileCount = 0
        while body.bytes.count < 25_000_000 {
            body.file("photos", filename: names[fileCount % 4], photos[fileCount % 4])
            fileCount += 1
        }
        let bytes = body.closed
        let megabytes = Double(bytes.count) / 1e6
        let limits = MultipartLimits(maxFiles: 100, maxTotalBytes: 64 << 20)
        let directory = try ParsingFixtures.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }  // cleanup only; failure is harmless

        var rates: [Double] = []
        for _ in 0..<7 {
            let start = DispatchTime.now().uptimeNanoseconds
            let parsed = try ParsingFixtures.parse(bytes, boundary: body.boundary, chunkSize: 64 * 1024,
                                                   limits: limits, directory: directory)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(megabytes / seconds)
            XCTAssertEqual(parsed.files.count, fileCount)
            XCTAssertEqual(parsed.files.last?.sha256, SHA256.hex(photos[(fileCount - 1) % 4]))
            for file in parsed.files { try FileManager.default.removeItem(at: file.file) }
        }

        let hashStart = DispatchTime.now().uptimeNanoseconds
        _ = SHA256.hash(bytes)
        let hashRate = megabytes / (Double(DispatchTime.now().uptimeNanoseconds - hashStart) / 1e9)

        rates.sort()
        print(String(format: "multipart: %.1f MB body, %d files, 64 KiB chunks: median %.0f MB/s, best %.0f MB/s"
                        + " (SHA-256 alone: %.0f MB/s; temp dir %@)",
                     megabytes, fileCount, rates[rates.count / 2], rates.last!, hashRate, directory.path))
    }
}
