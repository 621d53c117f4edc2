import Foundation
@testable import GalleryAWS
import GalleryConformance
import GalleryCore
import XCTest

/// The catalog on DynamoDB (moto, serialized so that conditional writes are decided one at a
/// time, as DynamoDB does: see `MotoServer`): the shared conformance suite, then what is
/// particular to the DynamoDB design — the search entries, counters, budget and races.
final class DynamoCatalogStoreTests: MotoTestCase {
    override class var serializedMoto: Bool { true }

    private var client: AWSClient!
    private var catalog: DynamoCatalogStore!
    private var metadata: DynamoMetadataStore!
    private var suite: CatalogStoreConformance!
    private let tables = DynamoTables(prefix: "test-")

    override func setUpWithError() throws {
        let moto = try self.moto
        try moto.reset()
        client = try moto.client()
        try provisionTables(client: client, tables: tables)
        catalog = DynamoCatalogStore(metadata: DynamoMetadataStore(client: client, tables: tables))
        metadata = DynamoMetadataStore(client: client, tables: tables)
        suite = CatalogStoreConformance(catalog: catalog, metadata: metadata)
    }

    func testEveryCheckIsWired() throws {
        try assertEveryCheckWired(suiteSource: CatalogStoreConformance.sourceFile, testSource: #filePath)
    }

    func testDetailsRoundTrip() throws { try suite.testDetailsRoundTrip() }
    func testDetailsValidation() throws { try suite.testDetailsValidation() }
    func testSearchByTag() throws { try suite.testSearchByTag() }
    func testSearchByWords() throws { try suite.testSearchByWords() }
    func testSearchByCamera() throws { try suite.testSearchByCamera() }
    func testSearchByDateTaken() throws { try suite.testSearchByDateTaken() }
    func testSearchScopesFollowVisibility() throws { try suite.testSearchScopesFollowVisibility() }
    func testSearchFollowsEditsAndDeletes() throws { try suite.testSearchFollowsEditsAndDeletes() }
    func testSearchPages() throws { try suite.testSearchPages() }
    func testSearchEncryptedOnly() throws { try suite.testSearchEncryptedOnly() }
    func testEmptySearchAndBadInput() throws { try suite.testEmptySearchAndBadInput() }
    func testImageScopes() throws { try suite.testImageScopes() }
    func testShareTokens() throws { try suite.testShareTokens() }
    func testDuplicatesBySHA256() throws { try suite.testDuplicatesBySHA256() }
    func testUsage() throws { try suite.testUsage() }
    func testAlbumLifecycle() throws { try suite.testAlbumLifecycle() }
    func testAlbumMembership() throws { try suite.testAlbumMembership() }
    func testAlbumsPerPhotoLimit() throws { try suite.testAlbumsPerPhotoLimit() }
    func testAlbumCover() throws { try suite.testAlbumCover() }
    func testAlbumOrders() throws { try suite.testAlbumOrders() }
    func testAlbumLists() throws { try suite.testAlbumLists() }
    func testProfileDetails() throws { try suite.testProfileDetails() }
    func testMarkDeletedHidesEverythingAtOnce() throws { try suite.testMarkDeletedHidesEverythingAtOnce() }
    func testPurgeProfile() throws { try suite.testPurgeProfile() }

    // MARK: DynamoDB only

    private var db: DynamoDB { DynamoDB(client: client) }
    private let base = wholeMilliseconds(Date(timeIntervalSince1970: 1_780_000_000))

    private func image(_ id: String, owner: String = "alice", at seconds: Double = 0) -> ImageRecord {
        ImageRecord(id: id, ownerID: owner, ownerUsername: "user-\(owner)", status: .processing, visibility: .public,
                    format: .jpeg, originalFilename: "\(id).jpg", byteSize: 1000, width: 800, height: 600,
                    sha256: String(repeating: "ab", count: 32), originalKey: "originals/\(id).jpg",
                    createdAt: base.addingTimeInterval(seconds))
    }

    /// Every search entry of the terms table (a Scan: tests only).
    private func entries() throws -> Set<String> {
        let answer = try db.call("Scan", ["TableName": tables.terms])
        let items = try ((answer["Items"] as? [Any]) ?? []).map { try DynamoItem(json: $0) }
        return Set(try items.map { "\(try $0.string("term")) \(PageCursor.id(of: try $0.string("sort")))" })
    }

    /// The entries are exactly the image's terms, under the owner and (while public) under
    /// everyone; they follow edits and visibility, and nothing is left after a deletion.
    func testSearchEntriesFollowTheImage() throws {
        try metadata.putImage(image("e1"))
        try catalog.updateDetails(imageID: "e1", title: "Red door", description: "", tags: ["old-town"], visibility: .public)
        XCTAssertEqual(try entries(), ["O#alice#w:red e1", "O#alice#w:door e1", "O#alice#t:old-town e1",
                                       "P#w:red e1", "P#w:door e1", "P#t:old-town e1"])
        try catalog.updateDetails(imageID: "e1", title: "Blue door", description: "", tags: [], visibility: .private)
        XCTAssertEqual(try entries(), ["O#alice#w:blue e1", "O#alice#w:door e1"], "private: the owner's entries only")
        try metadata.markImageReady(id: "e1", derivatives: CatalogStoreConformance.derivatives("e1", make: "SONY", model: "DSLR-A550"))
        XCTAssertEqual(try entries(), ["O#alice#w:blue e1", "O#alice#w:door e1", "O#alice#c:sony e1", "O#alice#c:dslr e1",
                                       "O#alice#c:a550 e1"])
        try catalog.updateDetails(imageID: "e1", title: "Blue door", description: "", tags: [], visibility: .public)
        XCTAssertEqual(Set(try entries().filter { $0.hasPrefix("P#") }),
                       ["P#w:blue e1", "P#w:door e1", "P#c:sony e1", "P#c:dslr e1", "P#c:a550 e1"])
        try metadata.deleteImage(id: "e1")
        XCTAssertEqual(try entries(), [], "nothing is left")

        var locked = image("e2")
        locked.encrypted = true
        locked.visibility = .private
        try metadata.putImage(locked)
        try catalog.updateDetails(imageID: "e2", title: "Keys", description: "", tags: [], visibility: .unlisted)
        XCTAssertEqual(try entries(), ["O#alice#e:encrypted e2", "O#alice#w:keys e2"], "encrypted: the owner's entries only")
        try metadata.deleteImage(id: "e2")
        XCTAssertEqual(try entries(), [])
    }

    /// Account removal takes the public entries away with the visibility, and the indexes'
    /// sparse keys with them.
    func testMarkDeletedRemovesPublicEntries() throws {
        let alice = CatalogStoreConformance.profile("alice")
        try metadata.createProfile(alice)
        var photo = image("a1", owner: alice.userID)
        photo.tags = ["gone"]
        try metadata.putImage(photo)
        XCTAssertEqual(try entries(), ["O#\(alice.userID)#t:gone a1", "P#t:gone a1"])
        try catalog.markDeleted(userID: alice.userID, at: Date())
        XCTAssertEqual(try entries(), ["O#\(alice.userID)#t:gone a1"])
        let item = try XCTUnwrap(db.getItem(tables.images, key: ["id": .s("a1")]))
        XCTAssertEqual(item["visibility"], .s("private"))
        XCTAssertNil(item["feed"])
        XCTAssertNil(item["publicOwner"])
        XCTAssertEqual(item["version"], .int(1), "later writers see that it changed")
    }

    /// Usage is one item of counters, changed in the transactions that put and delete.
    func testUsageCounters() throws {
        try metadata.putImage(image("u1"))
        try metadata.putImage(image("u2", at: 1))
        try catalog.createAlbum(Album(id: "al1", ownerID: "alice", ownerUsername: "alice", title: "A", createdAt: base,
                                      updatedAt: base))
        let item = try XCTUnwrap(db.getItem(tables.profiles, key: ["pk": .s("USAGE#alice")]))
        XCTAssertEqual(item["bytes"], .int(2000))
        XCTAssertEqual(item["images"], .int(2))
        XCTAssertEqual(item["albums"], .int(1))
        assertThrows(.conflict("")) { try metadata.putImage(image("u1")) }
        XCTAssertEqual(try catalog.usage(ownerID: "alice"), StorageUsage(bytes: 2000, images: 2), "a refused put counts nothing")
    }

    /// A rare combination among many photos: one call reads at most the budget, answers
    /// short pages with a cursor, and following them finds every match.
    func testSearchBudgetAnswersShortPages() throws {
        for i in 0..<80 {
            var photo = image(String(format: "b%03d", i), at: Double(i))
            photo.tags = ["walk"]
            photo.title = i < 2 ? "dog" : "cat"
            try metadata.putImage(photo)
        }
        let small = DynamoCatalogStore(metadata: DynamoMetadataStore(client: client, tables: tables), searchBudget: 25)
        let query = SearchQuery(tag: "walk", words: ["dog"])
        var cursor: String?
        var found: [String] = [], pages = 0, shortPages = 0
        repeat {
            let page = try small.search(query, scope: .everyone, cursor: cursor, limit: 10)
            found += page.items.map(\.id)
            if page.next != nil && page.items.count < 10 { shortPages += 1 }
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 100
        XCTAssertEqual(found, ["b001", "b000"])
        XCTAssertGreaterThanOrEqual(shortPages, 3, "80 candidates, 25 a call")
        XCTAssertEqual(try catalog.search(query, scope: .everyone, cursor: nil, limit: 10).items.map(\.id), ["b001", "b000"],
                       "the default budget reads them all in one call")
    }

    /// The owner editing while the worker finishes: whatever the interleaving, every entry of
    /// the final state exists (stale ones may remain; searches check them on the image).
    func testConcurrentWritersLeaveTheIndexComplete() throws {
        try metadata.putImage(image("c1"))
        let catalog = self.catalog!, metadata = self.metadata!
        let log = ClaimLog()
        runOnThreads(4) { writer in
            do {
                for round in 0..<4 {
                    if writer == 0 {
                        try metadata.markImageReady(id: "c1", derivatives: CatalogStoreConformance.derivatives(
                            "c1", make: "Canon", model: "EOS R\(round)", taken: Date(timeIntervalSince1970: Double(round) * 1e6)))
                    } else {
                        try catalog.updateDetails(imageID: "c1", title: "word\(writer) round\(round)", description: "",
                                                  tags: ["t\(writer)"], visibility: round % 2 == 0 ? .public : .private)
                    }
                }
            } catch {
                log.fail(error)
            }
        }
        XCTAssertEqual(log.errors.map { "\($0)" }, [])
        let final = try XCTUnwrap(metadata.image(id: "c1"))
        let present = try entries()
        for key in ImageWriter.termKeys(final) {
            XCTAssertTrue(present.contains("\(key) c1"), "\(key) is indexed")
        }
        let scope: Scope = final.visibility == .public ? .everyone : .owner("alice")
        XCTAssertEqual(try catalog.search(SearchQuery(tag: final.tags.first, words: [final.title], camera: "canon"), scope: scope,
                                          cursor: nil, limit: 5).items.map(\.id), ["c1"])
    }

    func testSetupMakesTheCatalogTablesOnce() throws {
        let steps = try AWSSetup(client: client, tables: tables, bucket: nil).run()
        XCTAssertTrue(steps.allSatisfy { $0.state == .existed }, "\(steps)")
        for index in ["test-images.publicByOwner", "test-images.bySHA256", "test-images.byShareToken", "test-albums.byOwner",
                      "test-albums.publicFeed", "test-albums.byShareToken", "test-album-images.newest", "test-album-images.taken"] {
            XCTAssertTrue(steps.contains { $0.resource == "index " + index }, index)
        }
        let described = try db.call("DescribeTable", ["TableName": tables.albumImages])["Table"] as? [String: Any]
        let local = (described?["LocalSecondaryIndexes"] as? [[String: Any]])?.compactMap { $0["IndexName"] as? String }
        XCTAssertEqual(Set(local ?? []), ["newest", "taken"])
    }
}
