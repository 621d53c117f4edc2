import Foundation
@testable import GalleryAWS
import GalleryCore
import GalleryEmbedded
import GalleryMoto
import Testing

/// The job queues the conformance suite runs over, each new and empty for one test case.
enum JobQueueBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `SQLiteJobQueue` on a new database file.
    case sqlite
    /// `DynamoJobQueue` with four shards on the suite's moto_server, in new tables.
    case dynamoDB

    var testDescription: String { rawValue }

    func make() throws -> JobQueue {
        switch self {
        case .sqlite:
            let directory = try Shared.scratch("jobs")
            return SQLiteJobQueue(database: try SQLiteDatabase(file: directory.appendingPathComponent("gallery.sqlite3")))
        case .dynamoDB:
            let client = try Shared.moto().client()
            let tables = DynamoTables(prefix: "test-")
            try provisionTables(client: client, tables: tables)
            return DynamoJobQueue(client: client, tables: tables, shards: 4)
        }
    }
}
