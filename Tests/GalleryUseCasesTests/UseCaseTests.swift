import Foundation
import GalleryCore
import GalleryEmbedded
import GalleryUseCases
import ImageInspection
import Logging
import XCTest

/// The rules of the use cases, on real embedded stores (one SQLite file, a blob folder).
final class UseCaseTests: XCTestCase {
    private var root: URL!
    private var app: UseCases!
    private var alice: Profile!
    private var bob: Profile!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("gallery-usecases-\(UUID().uuidString)")
        let tmp = root.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let database = try SQLiteDatabase(file: root.appendingPathComponent("gallery.sqlite3"))
        let mailer = try OutboxMailer(directory: root.appendingPathComponent("outbox"), from: "test@localhost")
        let stores = Stores(metadata: SQLiteMetadataStore(database: database), catalog: SQLiteCatalogStore(database: database),
                            jobs: SQLiteJobQueue(database: database), blobs: try FileBlobStore(root: root.appendingPathComponent("blobs")),
                            identity: LocalIdentityProvider(database: database, mailer: mailer, siteURL: "http://test"))
        app = UseCases(stores: stores, settings: .init(maxPixels: 50_000_000, quotaBytes: 10_000, quotaImages: 3,
                                                       temporaryDirectory: tmp))
        alice = Profile(userID: Identifiers.make(), username: "alice", email: "a@example.com", displayName: "Alice", createdAt: Date())
        bob = Profile(userID: Identifiers.make(), username: "bob", email: "b@example.com", displayName: "Bob", createdAt: Date())
        try stores.metadata.createProfile(alice)
        try stores.metadata.createProfile(bob)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)  // test scratch
    }

    /// A 1×1 PNG written to a temporary file, different per `seed` (its bytes differ).
    private func photo(_ seed: UInt8) throws -> CheckedPhoto {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
                              0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE]
        bytes += [0, 0, 0, 1, 0x74, 0x45, 0x58, 0x74, seed, 0, 0, 0, 0]  // a tEXt chunk makes each file unique
        let url = root.appendingPathComponent("tmp/in-\(seed).png")
        try Data(bytes).write(to: url)
        let incoming = IncomingFile(filename: "p\(seed).png", file: url, byteSize: bytes.count,
                                    sha256: String(repeating: String(format: "%02x", seed), count: 32), head: Array(bytes.prefix(64)))
        return try app.uploads.check(incoming).get()
    }

    private func blobKeys() throws -> [String] {
        try app.stores.blobs.list(prefix: "", cursor: nil, limit: 1000).items.map(\.key)
    }

    func testUploadStoresOriginalRecordAndJobAndRemovalTakesEveryBlob() throws {
        let outcome = try app.uploads.store([try photo(1)], owner: alice, protection: .plain(.public))
        let image = try XCTUnwrap(outcome.stored.first?.image)
        XCTAssertEqual(image.originalKey, BlobKeys.original(imageID: image.id, fileExtension: "png"))
        XCTAssertEqual(try app.stores.jobs.jobs(status: .queued, cursor: nil, limit: 10).items.map(\.subject), [.image(image.id)])
        // A worker's derivatives, as it would write them.
        let keys = DerivativeKeys(imageID: image.id)
        for key in keys.all { try app.stores.blobs.put(key: key, data: Data("x".utf8), contentType: "image/webp") }
        XCTAssertEqual(Set(try blobKeys()), Set([image.originalKey] + keys.all))

        try app.photos.delete(image)
        XCTAssertNil(try app.stores.metadata.image(id: image.id))
        XCTAssertEqual(try blobKeys(), [], "the original and every derivative go with the record")
        XCTAssertNoThrow(try app.removal.remove(image), "removing again is no error")
    }

    func testDuplicatesAreReportedAndTheQuotaHolds() throws {
        let first = try app.uploads.store([try photo(1), try photo(1)], owner: alice, protection: .plain(.private))
        XCTAssertEqual(first.stored.count, 1)
        XCTAssertEqual(first.duplicates.map(\.existing), [nil], "the second file of the same upload")
        let again = try app.uploads.store([try photo(1)], owner: alice, protection: .plain(.private))
        XCTAssertEqual(again.duplicates.first?.existing?.id, first.stored.first?.image.id)
        XCTAssertThrowsError(try app.uploads.store([try photo(2), try photo(3), try photo(4)], owner: alice,
                                                   protection: .plain(.private))) { error in
            guard case GalleryError.tooLarge(let message)? = error as? GalleryError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("3 photos"), message)
        }
        XCTAssertEqual(try app.stores.metadata.images(ownerID: alice.userID, cursor: nil, limit: 10).items.count, 1,
                       "nothing of the refused upload was stored")
    }

    func testAnUploadThatCannotEnqueueLeavesNothing() throws {
        // A quota of bytes too small for the second photo refuses the whole request.
        let tight = UseCases(stores: app.stores, settings: .init(maxPixels: 50_000_000, quotaBytes: 50, quotaImages: 10,
                                                                 temporaryDirectory: root.appendingPathComponent("tmp")))
        XCTAssertThrowsError(try tight.uploads.store([try photo(5), try photo(6)], owner: alice, protection: .plain(.public)))
        XCTAssertEqual(try blobKeys(), [])
        XCTAssertEqual(try app.stores.jobs.depth(now: Date()).queued, 0)
    }

    func testTheSharingRuleLinksExistExactlyWhileUnlisted() throws {
        XCTAssertNil(Sharing.token(for: .public, current: "kept-nowhere"))
        XCTAssertNil(Sharing.token(for: .private, current: nil))
        XCTAssertEqual(Sharing.token(for: .unlisted, current: "existing"), "existing")
        XCTAssertTrue(Identifiers.isShareToken(try XCTUnwrap(Sharing.token(for: .unlisted, current: nil))))

        let image = try XCTUnwrap(app.uploads.store([try photo(7)], owner: alice, protection: .plain(.public)).stored.first?.image)
        try app.photos.edit(image, .init(title: "t", description: "", tags: [], visibility: .unlisted))
        let unlisted = try XCTUnwrap(app.stores.metadata.image(id: image.id))
        let token = try XCTUnwrap(unlisted.shareToken)
        XCTAssertEqual(try app.access.sharedImage(token: token).id, image.id)
        try app.photos.share(unlisted, .revoke)
        XCTAssertEqual(try app.stores.metadata.image(id: image.id)?.visibility, .private)
        XCTAssertThrowsError(try app.access.sharedImage(token: token), "a revoked link leads nowhere")

        let album = try app.albums.create(.init(title: "A", description: "", visibility: .unlisted), owner: alice)
        XCTAssertNotNil(album.shareToken)
        try app.albums.edit(album, .init(title: "A", description: "", visibility: .public))
        XCTAssertNil(try app.stores.catalog.album(id: album.id)?.shareToken)
    }

    func testAccessShowsOthersOnlyWhatTheyMaySee() throws {
        let stored = try app.uploads.store([try photo(8), try photo(9)], owner: alice, protection: .plain(.public)).stored
        let (publicPhoto, privatePhoto) = (stored[0].image, stored[1].image)
        try app.photos.edit(privatePhoto, .init(title: "", description: "", tags: [], visibility: .private))
        XCTAssertEqual(try app.access.visibleImage(id: publicPhoto.id, viewer: bob).id, publicPhoto.id)
        XCTAssertThrowsError(try app.access.visibleImage(id: privatePhoto.id, viewer: bob)) {
            XCTAssertEqual($0 as? GalleryError, .notFound, "never forbidden: ids cannot be probed")
        }
        XCTAssertThrowsError(try app.access.visibleImage(id: privatePhoto.id, viewer: nil))
        XCTAssertEqual(try app.access.visibleImage(id: privatePhoto.id, viewer: alice).id, privatePhoto.id)
        XCTAssertThrowsError(try app.access.ownImage(id: publicPhoto.id, owner: bob), "seeing is not owning")
        XCTAssertThrowsError(try app.access.visibleImage(id: "../etc/passwd", viewer: alice))

        let album = try app.albums.create(.init(title: "Mixed", description: "", visibility: .public), owner: alice)
        _ = try app.albums.add(imageIDs: [publicPhoto.id, privatePhoto.id], to: album.id, owner: alice)
        let seen = try app.listings.albumPage(album, viewer: bob, shareToken: nil, cursor: nil, limit: 10).entries
        XCTAssertEqual(seen, [.direct(try XCTUnwrap(app.stores.metadata.image(id: publicPhoto.id)))])
        XCTAssertEqual(try app.listings.albumPage(album, viewer: alice, shareToken: nil, cursor: nil, limit: 10).entries.count, 2)
        XCTAssertThrowsError(try app.albums.add(imageIDs: [publicPhoto.id], to: album.id, owner: bob))
    }

    func testAccountRemovalTakesEveryPhotoAndAlbumThenTheProfile() throws {
        let stored = try app.uploads.store([try photo(10), try photo(11)], owner: alice, protection: .plain(.public)).stored
        _ = try app.albums.create(.init(title: "Mine", description: "", visibility: .public), owner: alice)
        let removal = AccountRemoval(stores: app.stores, removal: app.removal, logger: app.logger)
        XCTAssertFalse(try removal.isMarkedDeleted(userID: alice.userID), "a live account is never purged")
        try app.stores.catalog.markDeleted(userID: alice.userID, at: Date())
        XCTAssertTrue(try removal.isMarkedDeleted(userID: alice.userID))
        var seen = Set<String>()
        XCTAssertEqual(try removal.removeImages(userID: alice.userID, previous: &seen), stored.count)
        XCTAssertEqual(try removal.removeImages(userID: alice.userID, previous: &seen), 0)
        seen = []
        XCTAssertEqual(try removal.removeAlbums(userID: alice.userID, previous: &seen), 1)
        try removal.removeProfile(userID: alice.userID)
        XCTAssertNil(try app.stores.metadata.profile(userID: alice.userID))
        XCTAssertEqual(try blobKeys(), [])
        XCTAssertNotNil(try app.stores.metadata.profile(userID: bob.userID), "nobody else is touched")
    }
}

/// The reconciler on the embedded stores.
final class ReconcilerTests: XCTestCase {
    func testAPhotoLeftProcessingWithoutAJobGetsOneAndNothingElseChanges() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gallery-reconcile-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }  // test scratch
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let database = try SQLiteDatabase(file: root.appendingPathComponent("gallery.sqlite3"))
        let metadata = SQLiteMetadataStore(database: database)
        let jobs = SQLiteJobQueue(database: database)
        let stores = Stores(metadata: metadata, catalog: SQLiteCatalogStore(database: database), jobs: jobs,
                            blobs: try FileBlobStore(root: root.appendingPathComponent("blobs")),
                            identity: LocalIdentityProvider(database: database, mailer: try OutboxMailer(
                                directory: root.appendingPathComponent("outbox"), from: "t@localhost"), siteURL: "http://t"))
        let now = Date()
        func image(_ age: TimeInterval, encrypted: Bool = false) -> ImageRecord {
            let id = Identifiers.make(now: now.addingTimeInterval(-age))
            return ImageRecord(id: id, ownerID: "u", ownerUsername: "u", status: encrypted ? .ready : .processing,
                               visibility: .private, format: .jpeg, originalFilename: "a.jpg", byteSize: 1, width: 1, height: 1,
                               sha256: id, originalKey: BlobKeys.original(imageID: id, fileExtension: "jpg"),
                               createdAt: now.addingTimeInterval(-age), encrypted: encrypted)
        }
        let stranded = image(3600)      // what a crash between record and job left
        let queued = image(3600)        // has its job
        let uploading = image(5)        // within the grace period: its job may be on its way
        for record in [stranded, queued, uploading] { try metadata.putImage(record) }
        try jobs.enqueue(.image(queued.id), availableAt: now)

        let reconciler = Reconciler(stores: stores, logger: Logger(label: "test"))
        XCTAssertEqual(try reconciler.repair(now: now, grace: 600), [stranded.id])
        let subjects = try jobs.jobs(status: .queued, cursor: nil, limit: 10).items.map(\.subject)
        XCTAssertEqual(Set(subjects), [.image(stranded.id), .image(queued.id)])
        XCTAssertEqual(try reconciler.repair(now: now, grace: 600), [], "a second run finds nothing to do")
    }
}
