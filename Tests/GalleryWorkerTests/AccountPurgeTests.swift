import Foundation
import GalleryCore
import GalleryTestSupport
import XCTest
@testable import GalleryWorker

/// The account removal job on the embedded backend.
class AccountPurgeTests: BackendTestCase {
    private var site: Site!
    private var pool: WorkerPool?

    override func setUpWithError() throws {
        site = try makeSite()
    }

    override func tearDown() {
        pool?.shutdown(deadline: 1)
        site?.remove()
    }

    private func profile(_ id: String, _ name: String) throws {
        try site.metadata.createProfile(Profile(userID: id, username: name, email: "\(name)@example.com",
                                                displayName: name, createdAt: Date()))
    }

    private func startPool() {
        let pool = WorkerPool(stores: site.stores(metadata: site.metadata, jobs: site.jobs, blobs: site.blobs),
                              settings: site.settings(slots: 2), logger: LogRecorder().logger)
        pool.start()
        self.pool = pool
    }

    func testEverythingOfARemovedAccountGoesAndNothingOfOthers() throws {
        try profile("leaver", "leaver")
        try profile("stayer", "stayer")
        let theirs = try (0..<3).map { try site.upload(naturePhotos[$0], owner: "leaver") }
        let mine = try site.upload(naturePhotos[3], owner: "stayer")
        startPool()
        XCTAssert(try eventually(timeout: 20) { try site.allDone(theirs + [mine]) })
        let now = Date()
        try site.catalog.createAlbum(Album(id: Identifiers.make(), ownerID: "leaver", ownerUsername: "leaver",
                                      title: "Trip", createdAt: now, updatedAt: now))
        try site.catalog.markDeleted(userID: "leaver", at: now)
        let job = try site.jobs.enqueue(.account(userID: "leaver"), availableAt: now)

        XCTAssert(try eventually(timeout: 20) { try site.jobs.job(id: job.id)?.status == .done })
        XCTAssertEqual(try site.metadata.images(ownerID: "leaver", cursor: nil, limit: 10).items.count, 0)
        XCTAssertEqual(try site.catalog.albums(scope: .owner("leaver"), cursor: nil, limit: 10).items.count, 0)
        XCTAssertNil(try site.metadata.profile(userID: "leaver"))
        // Only the other account's original and derivatives are left.
        let kept = try XCTUnwrap(site.metadata.image(id: mine.id)?.derivatives)
        XCTAssertEqual(try site.blobFiles(), Set([mine.originalKey] + kept.blobKeys))
        XCTAssertNotNil(try site.metadata.profile(userID: "stayer"))
        XCTAssertEqual(try site.metadata.image(id: mine.id)?.status, .ready)
    }

    func testALiveAccountIsNeverPurged() throws {
        try profile("alive", "alive")
        let image = try site.upload(naturePhotos[4], owner: "alive")
        let job = try site.jobs.enqueue(.account(userID: "alive"), availableAt: Date())
        startPool()
        XCTAssert(try eventually(timeout: 20) { try site.jobs.job(id: job.id)?.status == .dead })
        XCTAssertNotNil(try site.metadata.profile(userID: "alive"))
        XCTAssertNotNil(try site.metadata.image(id: image.id))
    }
}
