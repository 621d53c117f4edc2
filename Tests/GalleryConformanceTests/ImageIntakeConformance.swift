import Foundation
import GalleryConformance
import GalleryCore
import Testing

/// What every `ImageIntake` must do: record and job together, or neither — each check run over
/// every backend (`ImageIntakeBackend`): one SQLite transaction, and one DynamoDB transaction
/// on moto_server.
@Suite(.serialized, .backends())
struct ImageIntakeConformance {
    let now = wholeMilliseconds()

    private func queued(_ stores: ImageIntakeBackend.Stores) throws -> [Job] {
        try stores.jobs.jobs(status: .queued, cursor: nil, limit: 100).items
    }

    @Test(arguments: ImageIntakeBackend.allCases)
    func recordAndJobTogether(_ backend: ImageIntakeBackend) throws {
        let stores = try backend.make()
        let owner = CatalogSamples.profile("intake-owner")
        try stores.metadata.createProfile(owner)
        let image = CatalogSamples.image(Identifiers.make(), owner: owner.userID, at: now)
        let job = try stores.intake.putImage(image, queueing: .image(image.id), availableAt: now)
        #expect(job.subject == .image(image.id))
        #expect(job.status == .queued)
        #expect(try stores.metadata.image(id: image.id)?.status == image.status)
        #expect(try queued(stores).map(\.id) == [job.id])
        #expect(try stores.catalog.usage(ownerID: owner.userID).images == 1, "counted like any other image")
    }

    @Test(arguments: ImageIntakeBackend.allCases)
    func anExistingIdWritesNeither(_ backend: ImageIntakeBackend) throws {
        let stores = try backend.make()
        let owner = CatalogSamples.profile("intake-twice")
        try stores.metadata.createProfile(owner)
        let image = CatalogSamples.image(Identifiers.make(), owner: owner.userID, at: now)
        try stores.intake.putImage(image, queueing: .image(image.id), availableAt: now)
        expectThrows(.conflict("")) { try stores.intake.putImage(image, queueing: .image(image.id), availableAt: now) }
        #expect(try queued(stores).count == 1, "the refused write queued no second job")
    }

    @Test(arguments: ImageIntakeBackend.allCases)
    func aRemovedAccountGetsNeither(_ backend: ImageIntakeBackend) throws {
        let stores = try backend.make()
        let owner = CatalogSamples.profile("intake-leaver")
        try stores.metadata.createProfile(owner)
        try stores.catalog.markDeleted(userID: owner.userID, at: now)
        let image = CatalogSamples.image(Identifiers.make(), owner: owner.userID, at: now)
        expectThrows(.notFound) { try stores.intake.putImage(image, queueing: .image(image.id), availableAt: now) }
        #expect(try stores.metadata.image(id: image.id) == nil)
        #expect(try queued(stores) == [], "no job for an image that was never stored")
    }
}
