import Foundation
import GalleryCore
import Logging

/// Repairs what a crash between two writes of an older version (or of a set-up whose metadata
/// and jobs live in different backends, see `SequentialImageIntake`) can leave: a photo
/// "processing" for ever with no job to finish it, which nothing would ever queue again and
/// which a re-upload would call a duplicate. It gets its thumbnail job back. Run by
/// `gallery repair` and by the workers now and then; safe to run anywhere, any time.
public struct Reconciler: Sendable {
    let stores: Stores
    let logger: Logger

    public init(stores: Stores, logger: Logger) {
        self.stores = stores
        self.logger = logger
    }

    /// Photos still processing after `grace` (an upload in progress is given that long to
    /// write its job) with no queued or running job get one. Returns their ids.
    @discardableResult
    public func repair(now: Date = Date(), grace: TimeInterval = 600) throws -> [String] {
        var live = Set<String>()
        for status in [JobStatus.queued, .running] {
            var cursor: String?
            repeat {
                let page = try stores.jobs.jobs(status: status, cursor: cursor, limit: PageSize.max)
                for job in page.items { if let id = job.subject.imageID { live.insert(id) } }
                cursor = page.next
            } while cursor != nil
        }
        var repaired: [String] = []
        var cursor: String?
        repeat {
            let page = try stores.metadata.processingImages(createdBefore: now.addingTimeInterval(-grace), cursor: cursor,
                                                            limit: 500)
            for image in page.items where !image.encrypted && !live.contains(image.id) {
                try stores.jobs.enqueue(.image(image.id), availableAt: now)
                repaired.append(image.id)
                logger.warning("image \(image.id) was processing with no job: queued one")
            }
            cursor = page.next
        } while cursor != nil
        return repaired
    }
}
