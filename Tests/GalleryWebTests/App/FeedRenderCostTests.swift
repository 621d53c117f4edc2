import Foundation
import GalleryCore
import XCTest
import GalleryHTTP
@testable import GalleryWeb

/// The feed page as `scripts/bench-feed` renders it on every request (24 ready photos with
/// placeholders; a session cookie that names no session), in-process on SQLite: checks the
/// page, and prints what one render costs. `FEED_RENDERS=N` renders it N times, so that a
/// stopwatch (release build) or callgrind's instruction counts can compare renderer versions:
///   FEED_RENDERS=2000 swift test -c release -Xswiftc -enable-testing --filter FeedRenderCost
final class FeedRenderCostTests: XCTestCase {
    func testFeedPageRenderCost() throws {
        let server = try TestServer()
        try Self.seedFeed(server.services.metadata, count: 24)
        let renders = Int(ProcessInfo.processInfo.environment["FEED_RENDERS"] ?? "") ?? 20
        let request = ["REQUEST_METHOD": "GET", "DOCUMENT_URI": "/", "QUERY_STRING": "",
                       "REMOTE_ADDR": "127.0.0.1", "HTTP_COOKIE": "session=benchmark-bypasses-the-microcache"]
        var bytes: [UInt8] = []
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<renders {
            bytes = Self.renderOnce(server.app, request)
        }
        let nanoseconds = DispatchTime.now().uptimeNanoseconds - start
        let page = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(page.hasPrefix("Status: 200 OK\r\n"), String(page.prefix(200)))
        XCTAssertEqual(page.components(separatedBy: "<li class=\"tile").count - 1, 24)
        XCTAssertEqual(page.components(separatedBy: "src=\"data:image/webp;base64,").count - 1, 24)
        XCTAssertTrue(page.contains("<time datetime=\"2026-11-21T10:23:00Z\">2026-11-21 10:23 UTC</time>"), page)
        print(String(format: "feed page: %.1f µs per render (%d renders, %d bytes)",
                     Double(nanoseconds) / 1000 / Double(renders), renders, bytes.count))
    }

    /// Not inlined, so that `callgrind --toggle-collect='*renderOnce*'` counts renders only.
    @inline(never)
    static func renderOnce(_ app: GalleryApp, _ params: [String: String]) -> [UInt8] {
        app.handle(CGIParameters.request(params, body: BytesBody([]))).serialized()
    }

    /// `count` public, ready photos of one owner, newest first a minute apart, each with a
    /// placeholder the size the worker makes (≈1 KB of base64).
    static func seedFeed(_ store: MetadataStore, count: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let newest = Date(timeIntervalSince1970: 1_795_256_580)  // 2026-11-21 10:23 UTC
        for index in 0..<count {
            let id = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
            let placeholderBytes = (0..<760).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try store.putImage(ImageRecord(
                id: id, ownerID: "owner-1", ownerUsername: "bench", status: .processing, visibility: .public,
                format: .jpeg, originalFilename: "IMG_\(1000 + index).jpg", byteSize: 4_000_000,
                width: 4000, height: 3000, sha256: String(repeating: "0", count: 62) + String(format: "%02x", index),
                originalKey: "originals/\(id)", createdAt: newest.addingTimeInterval(Double(-60 * index))))
            try store.markImageReady(id: id, derivatives: ImageDerivatives(
                thumbnail: Derivative(key: "thumbs/\(id).webp", width: 320, height: 240, byteSize: 20_000),
                preview: Derivative(key: "previews/\(id).webp", width: 1280, height: 960, byteSize: 200_000),
                placeholder: "data:image/webp;base64," + Data(placeholderBytes).base64EncodedString(),
                originalForOthers: .original))
        }
    }
}
