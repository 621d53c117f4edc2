import Foundation

/// A new image record and its first job, written together: a crash at any instant leaves both
/// or neither, so no photo can stay "processing" with nothing queued to finish it. Backends
/// whose metadata and job table live together (one SQLite file; DynamoDB tables of one account)
/// do it in one transaction; `SequentialImageIntake` serves mixed set-ups, where
/// `Reconciler` repairs what a crash between the two writes leaves.
public protocol ImageIntake: AnyObject, Sendable {
    /// Throws like `MetadataStore.putImage` (`.conflict` for an existing id, `.notFound` while
    /// the owner's account is being removed), and then nothing was written.
    @discardableResult
    func putImage(_ image: ImageRecord, queueing subject: JobSubject, availableAt: Date) throws -> Job
}

/// The record, then the job; a failed enqueue takes the record back. Not atomic against a
/// crash between the two writes (`Reconciler` finds such a photo and queues its job).
public final class SequentialImageIntake: ImageIntake {
    let metadata: MetadataStore
    let jobs: JobQueue

    public init(metadata: MetadataStore, jobs: JobQueue) {
        self.metadata = metadata
        self.jobs = jobs
    }

    public func putImage(_ image: ImageRecord, queueing subject: JobSubject, availableAt: Date) throws -> Job {
        try metadata.putImage(image)
        do {
            return try jobs.enqueue(subject, availableAt: availableAt)
        } catch {
            _ = try? metadata.deleteImage(id: image.id)  // best effort; the enqueue's error is the one to report
            throw error
        }
    }
}
