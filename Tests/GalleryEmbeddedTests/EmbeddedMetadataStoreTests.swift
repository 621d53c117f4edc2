import Foundation
import GalleryConformance
import GalleryCore
@testable import GalleryEmbedded
import XCTest

final class EmbeddedMetadataStoreTests: XCTestCase {
    private var fixture: EmbeddedFixture!
    private var store: SQLiteMetadataStore!
    private var suite: MetadataStoreConformance!

    override func setUpWithError() throws {
        fixture = try EmbeddedFixture()
        store = SQLiteMetadataStore(database: fixture.database)
        suite = MetadataStoreConformance(store: store)
    }

    override func tearDown() {
        suite = nil
        store = nil
        fixture = nil
    }

    func testEveryCheckIsWired() throws {
        try assertEveryCheckWired(suiteSource: MetadataStoreConformance.sourceFile, testSource: #filePath)
    }

    func testProfileRoundTrip() throws { try suite.testProfileRoundTrip() }
    func testUsernamesIgnoreCase() throws { try suite.testUsernamesIgnoreCase() }
    func testDuplicateProfileConflicts() throws { try suite.testDuplicateProfileConflicts() }
    func testSessionLifecycle() throws { try suite.testSessionLifecycle() }
    func testSessionsOfAUser() throws { try suite.testSessionsOfAUser() }
    func testAttemptCounter() throws { try suite.testAttemptCounter() }
    func testImageRoundTrip() throws { try suite.testImageRoundTrip() }
    func testCatalogFieldsRoundTrip() throws { try suite.testCatalogFieldsRoundTrip() }
    func testMarkImageReady() throws { try suite.testMarkImageReady() }
    func testMarkImageFailed() throws { try suite.testMarkImageFailed() }
    func testMarkMissingImage() throws { try suite.testMarkMissingImage() }
    func testDeleteImage() throws { try suite.testDeleteImage() }
    func testOwnerPages() throws { try suite.testOwnerPages() }
    func testPublicFeedPages() throws { try suite.testPublicFeedPages() }
    func testPagesStableUnderChanges() throws { try suite.testPagesStableUnderChanges() }
    func testBadCursorIsInvalid() throws { try suite.testBadCursorIsInvalid() }
    func testProcessingImagesForTheReconciler() throws { try suite.testProcessingImagesForTheReconciler() }

    /// The pages the responder renders on every request are each one range scan of an index,
    /// without sorting: the query plans say so.
    func testPagesAreIndexRangeScans() throws {
        let plans = try fixture.database.read { db in
            try [("owner_id", "images_by_owner"), ("visibility", "images_by_visibility")].map { column, index in
                let plan = try db.query("""
                    EXPLAIN QUERY PLAN SELECT id FROM images WHERE \(column) = ? AND (created_at, id) < (?, ?)
                    ORDER BY created_at DESC, id DESC LIMIT ?
                    """, ["x", 1, "y", 25]) { $0.string(3) }.joined(separator: "\n")
                return (index, plan)
            }
        }
        for (index, plan) in plans {
            XCTAssertTrue(plan.contains("USING INDEX \(index)") || plan.contains("USING COVERING INDEX \(index)"), plan)
            XCTAssertTrue(plan.contains("(created_at,id)<(?,?)"), "the cursor bounds the range: \(plan)")
            XCTAssertFalse(plan.contains("TEMP B-TREE"), "no sort: \(plan)")
        }
    }

    /// A feed page of 24 over 20 000 images stays cheap on the first page and deep in the
    /// list (keyset, not offset). Generous bound: it guards against scans, not for speed records.
    func testFeedPageCostDoesNotGrowWithDepth() throws {
        let base = wholeMilliseconds()
        try fixture.database.write { _ in
            for i in 0..<20_000 {
                var image = MetadataStoreConformanceFixtures.image(id: String(format: "img-%05d", i), owner: "u\(i % 50)",
                                                                    createdAt: base.addingTimeInterval(-Double(i)))
                image.visibility = i % 4 == 0 ? .private : .public
                try store.putImage(image)
            }
        }
        var cursor: String?
        var pages: [Page<ImageRecord>] = []
        for _ in 0..<1000 {
            let page = try store.publicFeed(cursor: cursor, limit: 24)
            pages.append(page)
            cursor = page.next
            if cursor == nil { break }
        }
        XCTAssertEqual(pages.count, 625)
        XCTAssertEqual(pages.reduce(0) { $0 + $1.items.count }, 15_000)
        let deep = try XCTUnwrap(pages[600].next)
        func time(_ cursor: String?) throws -> TimeInterval {
            let start = Date()
            for _ in 0..<50 { _ = try store.publicFeed(cursor: cursor, limit: 24) }
            return Date().timeIntervalSince(start) / 50
        }
        let first = try time(nil), late = try time(deep)
        XCTAssertLessThan(late, max(first * 3, 0.002), "first page \(first)s, page 602 \(late)s")
    }
}

/// The conformance suite's sample records, for embedded-only tests.
enum MetadataStoreConformanceFixtures {
    static func image(id: String, owner: String, createdAt: Date) -> ImageRecord {
        ImageRecord(id: id, ownerID: owner, ownerUsername: "user-\(owner)", status: .ready,
                    visibility: .public, format: .jpeg, originalFilename: "photo.jpg",
                    byteSize: 1000, width: 800, height: 600, sha256: String(repeating: "0", count: 64),
                    originalKey: "originals/\(id).jpg", createdAt: wholeMilliseconds(createdAt))
    }
}
