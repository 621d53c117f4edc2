import Foundation
import GalleryCore
import Logging

/// The account removal job: the web layer has already set the tombstone, ended the sessions
/// and deleted the identity; `AccountRemoval` deletes the rest a page at a time, and the lease
/// is checked between pages so that a worker that lost it stops writing.
extension Worker {
    func purgeAccount(_ lease: HeldLease, log: Logger) throws -> WorkOutcome {
        let job = lease.current
        guard case .account(let userID) = job.subject else { throw EnvironmentFault(description: "not an account job") }
        let removal = accountRemoval
        guard try removal.isMarkedDeleted(userID: userID) else {
            return try fail(lease, dead: true, reason: "account not marked deleted",
                            detail: "refusing to purge user \(userID): the profile has no deletedAt")
        }
        var removedImages = 0, removedAlbums = 0
        var seen = Set<String>()
        while true {
            guard lease.isHeld else { return .abandoned(jobID: job.id) }
            let removed = try removal.removeImages(userID: userID, previous: &seen)
            if removed == 0 { break }
            removedImages += removed
        }
        seen = []
        while true {
            guard lease.isHeld else { return .abandoned(jobID: job.id) }
            let removed = try removal.removeAlbums(userID: userID, previous: &seen)
            if removed == 0 { break }
            removedAlbums += removed
        }
        let finished = try lease.finish { current in
            try removal.removeProfile(userID: userID)
            try jobs.complete(current, now: Date())
        }
        guard finished else { return .abandoned(jobID: job.id) }
        log.info("account removed", metadata: ["images": "\(removedImages)", "albums": "\(removedAlbums)"])
        return .completed(jobID: job.id)
    }
}
