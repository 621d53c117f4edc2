import Foundation
@testable import GalleryAWS
import GalleryCore
import GalleryEmbedded
import GalleryMoto
import Testing

/// The image intakes the conformance suite runs over, each with the stores of its backend,
/// new and empty for one test case.
enum ImageIntakeBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `SQLiteImageIntake` on a new database file.
    case sqlite
    /// `DynamoImageIntake` on the suite's moto_server, in new tables.
    case dynamoDB

    var testDescription: String { rawValue }

    struct Stores {
        let intake: ImageIntake
        let metadata: MetadataStore
        let catalog: CatalogStore
        let jobs: JobQueue
    }

    func make() throws -> Stores {
        switch self {
        case .sqlite:
            let db = try SQLiteDatabase(file: try Shared.scratch("intake").appendingPathComponent("gallery.sqlite3"))
            return Stores(intake: SQLiteImageIntake(database: db), metadata: SQLiteMetadataStore(database: db),
                          catalog: SQLiteCatalogStore(database: db), jobs: SQLiteJobQueue(database: db))
        case .dynamoDB:
            let client = try Shared.moto().client()
            let tables = DynamoTables(prefix: "test-")
            try provisionTables(client: client, tables: tables)
            let metadata = DynamoMetadataStore(client: client, tables: tables)
            let jobs = DynamoJobQueue(client: client, tables: tables, shards: 4)
            return Stores(intake: DynamoImageIntake(metadata: metadata, jobs: jobs), metadata: metadata,
                          catalog: DynamoCatalogStore(metadata: metadata), jobs: jobs)
        }
    }
}
