import Foundation
import GalleryCore
import XCTest

/// What every `ImageIntake` must do: record and job together, or neither.
public final class ImageIntakeConformance {
    public static let sourceFile = #filePath
    let intake: ImageIntake
    let metadata: MetadataStore
    let catalog: CatalogStore
    let jobs: JobQueue
    let now = wholeMilliseconds()

    public init(intake: ImageIntake, metadata: MetadataStore, catalog: CatalogStore, jobs: JobQueue) {
        self.intake = intake
        self.metadata = metadata
        self.catalog = catalog
        self.jobs = jobs
    }

    private func queued() throws -> [Job] {
        try jobs.jobs(status: .queued, cursor: nil, limit: 100).items
    }

    public func testRecordAndJobTogether() throws {
        let owner = CatalogStoreConformance.profile("intake-owner")
        try metadata.createProfile(owner)
        let image = CatalogStoreConformance.image(Identifiers.make(), owner: owner.userID, at: now)
        let job = try intake.putImage(image, queueing: .image(image.id), availableAt: now)
        XCTAssertEqual(job.subject, .image(image.id))
        XCTAssertEqual(job.status, .queued)
        XCTAssertEqual(try metadata.image(id: image.id)?.status, image.status)
        XCTAssertEqual(try queued().map(\.id), [job.id])
        XCTAssertEqual(try catalog.usage(ownerID: owner.userID).images, 1, "counted like any other image")
    }

    public func testAnExistingIdWritesNeither() throws {
        let owner = CatalogStoreConformance.profile("intake-twice")
        try metadata.createProfile(owner)
        let image = CatalogStoreConformance.image(Identifiers.make(), owner: owner.userID, at: now)
        try intake.putImage(image, queueing: .image(image.id), availableAt: now)
        XCTAssertThrowsError(try intake.putImage(image, queueing: .image(image.id), availableAt: now)) {
            guard case GalleryError.conflict? = $0 as? GalleryError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try queued().count, 1, "the refused write queued no second job")
    }

    public func testARemovedAccountGetsNeither() throws {
        let owner = CatalogStoreConformance.profile("intake-leaver")
        try metadata.createProfile(owner)
        try catalog.markDeleted(userID: owner.userID, at: now)
        let image = CatalogStoreConformance.image(Identifiers.make(), owner: owner.userID, at: now)
        XCTAssertThrowsError(try intake.putImage(image, queueing: .image(image.id), availableAt: now)) {
            XCTAssertEqual($0 as? GalleryError, .notFound)
        }
        XCTAssertNil(try metadata.image(id: image.id))
        XCTAssertEqual(try queued(), [], "no job for an image that was never stored")
    }
}
