import Foundation
@testable import GalleryAWS
import GalleryConformance
import GalleryCore
import XCTest

/// The metadata store on DynamoDB (moto_server, serialized: the attempt counter's concurrent
/// ADDs mean nothing on moto's unlocked threads, see `MotoServer`): the shared conformance
/// suite, then what is particular to DynamoDB.
final class DynamoMetadataStoreTests: MotoTestCase {
    override class var serializedMoto: Bool { true }
    private var client: AWSClient!
    private var store: DynamoMetadataStore!
    private var suite: MetadataStoreConformance!
    private let tables = DynamoTables(prefix: "test-")

    override func setUpWithError() throws {
        let moto = try self.moto
        try moto.reset()
        client = try moto.client()
        _ = try AWSSetup(client: client, tables: tables, bucket: nil).run()
        store = DynamoMetadataStore(client: client, tables: tables)
        suite = MetadataStoreConformance(store: store)
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

    // MARK: DynamoDB only

    /// TTL deletes late, so an expired session must not come back from a read.
    func testExpiredSessionIsGoneOnReadAndCarriesItsTTL() throws {
        let now = wholeMilliseconds()
        let expired = SessionRecord(idHash: "old", userID: "u1", createdAt: now.addingTimeInterval(-7200),
                                    lastSeenAt: now.addingTimeInterval(-3600), expiresAt: now.addingTimeInterval(-1))
        try store.createSession(expired)
        XCTAssertNil(try store.session(idHash: "old"))
        let item = try XCTUnwrap(DynamoDB(client: client).getItem(tables.sessions, key: ["idHash": .s("old")]))
        XCTAssertEqual(item["ttl"], .int(DynamoTime.epochSeconds(expired.expiresAt)), "DynamoDB's TTL will remove it")
    }

    /// A cursor is bound to the list it came from: it cannot reach into another owner's images.
    func testCursorCannotCrossPartitions() throws {
        let base = wholeMilliseconds()
        for i in 0..<3 {
            try store.putImage(MetadataStoreConformance.image(id: "a\(i)", owner: "alice", createdAt: base.addingTimeInterval(-Double(i))))
            try store.putImage(MetadataStoreConformance.image(id: "b\(i)", owner: "bob", createdAt: base.addingTimeInterval(-Double(i))))
        }
        let first = try store.images(ownerID: "alice", cursor: nil, limit: 1)
        let bobs = try store.images(ownerID: "bob", cursor: first.next, limit: 10)
        XCTAssertEqual(bobs.items.map(\.ownerID), ["bob", "bob"], "only bob's, after the position")
        expectError(.invalid("")) { try store.images(ownerID: "alice", cursor: nil, limit: 0) }
        expectError(.invalid("")) { try store.publicFeed(cursor: PageCursor.encode("12#x"), limit: 5) }
    }

    /// What an unreachable DynamoDB looks like to the web layer: one error naming the call.
    func testUnreachableDynamoDBIsUnavailable() throws {
        let dead = AWSClient(configuration: AWSConfiguration(
            region: "eu-central-1", credentials: StaticCredentialsProvider(AWSCredentials(accessKeyID: "a", secretAccessKey: "b")),
            endpointOverrides: [.dynamoDB: try AWSEndpoint(url: "http://127.0.0.1:\(freeLoopbackPort())")],
            retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.01), connectTimeout: 1, timeout: 2))
        let store = DynamoMetadataStore(client: dead, tables: tables)
        XCTAssertThrowsError(try store.image(id: "x")) { error in
            guard case GalleryError.unavailable(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.hasPrefix("dynamodb GetItem: Transport"), message)
        }
    }
}

/// Exposes the suite's fixture for the DynamoDB-only tests.
extension MetadataStoreConformance {
    static func image(id: String, owner: String, createdAt: Date) -> ImageRecord {
        ImageRecord(id: id, ownerID: owner, ownerUsername: "user-\(owner)", status: .processing, visibility: .public,
                    format: .jpeg, originalFilename: "x.jpg", byteSize: 1, width: 1, height: 1,
                    sha256: String(repeating: "ab", count: 32), originalKey: "originals/\(id).jpg", createdAt: createdAt)
    }
}
