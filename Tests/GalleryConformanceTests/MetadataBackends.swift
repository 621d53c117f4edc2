import Foundation
@testable import GalleryAWS
import GalleryCore
import GalleryEmbedded
import GalleryMoto
import Testing

/// The metadata stores the conformance suite runs over, each new and empty for one test case.
enum MetadataBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `SQLiteMetadataStore` on a new database file.
    case sqlite
    /// `DynamoMetadataStore` on the suite's moto_server, in new tables.
    case dynamoDB

    var testDescription: String { rawValue }

    func make() throws -> MetadataStore {
        switch self {
        case .sqlite:
            let directory = try Shared.scratch("metadata")
            return SQLiteMetadataStore(database: try SQLiteDatabase(file: directory.appendingPathComponent("gallery.sqlite3")))
        case .dynamoDB:
            let client = try Shared.moto().client()
            let tables = DynamoTables(prefix: "test-")
            try provisionTables(client: client, tables: tables)
            return DynamoMetadataStore(client: client, tables: tables)
        }
    }
}
