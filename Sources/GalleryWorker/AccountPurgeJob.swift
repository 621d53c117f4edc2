import Foundation
import GalleryCore
import Logging

/// The account removal job (`imageID` holds the user id): the web layer has already set the
/// tombstone, ended the sessions and deleted the identity; this deletes the rest a page at a
/// time — every photo with its original and derivatives, every album — then the profile.
/// Each step is idempotent, so an attempt cut short is simply run again.
extension Worker {
    static let purgePage = 50

    func purgeAccount(_ lease: HeldLease, log: Logger) throws -> WorkOutcome {
        let job = lease.current
        let userID = job.imageID
        guard let catalog else {
            return try fail(lease, dead: job.attempts >= settings.maxAttempts, reason: "not configured",
                            detail: "this worker has no catalog store, so it cannot remove accounts")
        }
        // Only a tombstoned account is purged: a job queued by mistake must not erase a live one.
        if let profile = try metadata.profile(userID: userID), profile.deletedAt == nil {
            return try fail(lease, dead: true, reason: "account not marked deleted",
                            detail: "refusing to purge user \(userID): the profile has no deletedAt")
        }
        var removedImages = 0
        var removedAlbums = 0
        var previous = Set<String>()
        while true {
            guard lease.isHeld else { return .abandoned(jobID: job.id) }
            let page = try metadata.images(ownerID: userID, cursor: nil, limit: Self.purgePage)
            if page.items.isEmpty { break }
            let ids = Set(page.items.map(\.id))
            guard ids.isDisjoint(with: previous) else {
                throw GalleryError.unavailable("images of \(userID) still listed after their deletion")
            }
            previous = ids
            for image in page.items {
                guard lease.isHeld else { return .abandoned(jobID: job.id) }
                // Blobs first: a crash in between leaves a record, which the next attempt finds.
                var keys = [image.originalKey] + DerivativeKeys(imageID: image.id).all
                keys += image.derivatives?.blobKeys ?? []
                try blobs.delete(keys: Array(Set(keys)))
                try metadata.deleteImage(id: image.id)
                removedImages += 1
            }
        }
        previous = []
        while true {
            guard lease.isHeld else { return .abandoned(jobID: job.id) }
            let page = try catalog.albums(scope: .owner(userID), cursor: nil, limit: Self.purgePage)
            if page.items.isEmpty { break }
            let ids = Set(page.items.map(\.id))
            guard ids.isDisjoint(with: previous) else {
                throw GalleryError.unavailable("albums of \(userID) still listed after their deletion")
            }
            previous = ids
            for album in page.items {
                try catalog.deleteAlbum(id: album.id)
                removedAlbums += 1
            }
        }
        let finished = try lease.finish { current in
            try catalog.purgeProfile(userID: userID)
            try jobs.complete(current, now: Date())
        }
        guard finished else { return .abandoned(jobID: job.id) }
        log.info("account removed", metadata: ["images": "\(removedImages)", "albums": "\(removedAlbums)"])
        return .completed(jobID: job.id)
    }
}
