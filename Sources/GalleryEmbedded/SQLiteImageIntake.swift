import Foundation
import GalleryCore

/// Image record, search terms and job in one SQLite transaction (metadata and job table share
/// the file): committed together or not at all.
public final class SQLiteImageIntake: ImageIntake {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func putImage(_ image: ImageRecord, queueing subject: JobSubject, availableAt: Date) throws -> Job {
        try database.write { db in
            try SQLiteMetadataStore.insert(image, db)
            return try SQLiteJobQueue.insert(subject, availableAt: availableAt, db)
        }
    }
}
