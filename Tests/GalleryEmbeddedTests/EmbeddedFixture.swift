import Foundation
@testable import GalleryEmbedded
import GalleryConformance

/// A fresh data directory and database file for one test, removed afterwards.
final class EmbeddedFixture {
    let directory: URL
    let database: SQLiteDatabase

    var databaseFile: URL { directory.appendingPathComponent("gallery.sqlite3") }

    init() throws {
        directory = try makeTemporaryDirectory("gallery-embedded")
        database = try SQLiteDatabase(file: directory.appendingPathComponent("gallery.sqlite3"))
    }

    /// Another instance on the same file: its own connections, as another process would have.
    func openAgain(busyTimeout: TimeInterval = 5) throws -> SQLiteDatabase {
        try SQLiteDatabase(file: databaseFile, busyTimeout: busyTimeout)
    }

    deinit {
        // Best effort: a leftover temporary directory is not worth failing a test over.
        try? FileManager.default.removeItem(at: directory)
    }
}
