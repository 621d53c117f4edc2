import Foundation
import GalleryCore

/// Image record, usage count, the owner's tombstone check and the job in one DynamoDB
/// TransactWriteItems: all of them or none. (Search entries go first, as for any image: a
/// crash can leave entries naming no image, which every search checks against the image
/// itself — see `ImageWriter`.)
public final class DynamoImageIntake: ImageIntake {
    let metadata: DynamoMetadataStore
    let jobs: DynamoJobQueue

    public init(metadata: DynamoMetadataStore, jobs: DynamoJobQueue) {
        self.metadata = metadata
        self.jobs = jobs
    }

    public func putImage(_ image: ImageRecord, queueing subject: JobSubject, availableAt: Date) throws -> Job {
        let (job, item) = jobs.newJob(subject, availableAt: availableAt)
        try metadata.put(image, with: [
            ["Put": ["TableName": jobs.tables.jobs, "Item": item.json, "ConditionExpression": "attribute_not_exists(id)"]],
        ])
        return job
    }
}
