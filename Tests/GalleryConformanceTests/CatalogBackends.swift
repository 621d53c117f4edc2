import Foundation
@testable import GalleryAWS
import GalleryCore
import GalleryEmbedded
import GalleryMoto
import Testing

/// The catalogs the conformance suite runs over, each new and empty for one test case, with
/// the metadata store of the same backend.
enum CatalogBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `SQLiteCatalogStore` and `SQLiteMetadataStore` on one new database file.
    case sqlite
    /// `DynamoCatalogStore` and `DynamoMetadataStore` on the suite's moto_server, in new tables.
    case dynamoDB

    var testDescription: String { rawValue }

    struct Stores {
        let catalog: CatalogStore
        let metadata: MetadataStore
    }

    func make() throws -> Stores {
        switch self {
        case .sqlite:
            let database = try SQLiteDatabase(file: try Shared.scratch("catalog").appendingPathComponent("gallery.sqlite3"))
            return Stores(catalog: SQLiteCatalogStore(database: database), metadata: SQLiteMetadataStore(database: database))
        case .dynamoDB:
            let client = try Shared.moto().client()
            let tables = DynamoTables(prefix: "test-")
            try provisionTables(client: client, tables: tables)
            return Stores(catalog: DynamoCatalogStore(metadata: DynamoMetadataStore(client: client, tables: tables)),
                          metadata: DynamoMetadataStore(client: client, tables: tables))
        }
    }
}
