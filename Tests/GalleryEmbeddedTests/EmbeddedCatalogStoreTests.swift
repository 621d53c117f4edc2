import Foundation
import GalleryConformance
import GalleryCore
@testable import GalleryEmbedded
import XCTest

/// The catalog on the SQLite file, what is particular to SQLite (the schema migration from
/// version 1, query plans); what every catalog does is GalleryConformanceTests'
/// CatalogStoreConformance.
final class EmbeddedCatalogStoreTests: XCTestCase {
    private var fixture: EmbeddedFixture!

    override func setUpWithError() throws {
        fixture = try EmbeddedFixture()
    }

    override func tearDown() {
        fixture = nil
    }

    // MARK: SQLite only

    /// A file made by the first release gains the catalog's columns and tables, and the
    /// camera words of photos processed back then become searchable.
    func testMigrationFromVersion1IndexesExistingCameras() throws {
        let directory = try makeTemporaryDirectory("gallery-migration")
        defer { try? FileManager.default.removeItem(at: directory) }  // best effort: a temporary directory
        let file = directory.appendingPathComponent("old.sqlite3")
        do {
            let old = try SQLiteConnection(path: file.path, busyTimeout: 5)
            try old.execute(Schema.migrations[0])
            try old.execute("PRAGMA user_version = 1")
            // albums/nature/prairie_falcon.jpg's camera, as the worker stored it.
            try old.run("""
                INSERT INTO images (id, owner_id, owner_username, status, visibility, format, original_filename, byte_size,
                                    width, height, sha256, original_key, thumb_key, thumb_width, thumb_height, thumb_bytes,
                                    preview_key, preview_width, preview_height, preview_bytes, has_photo_metadata,
                                    camera_make, camera_model, taken_at, created_at)
                VALUES ('old1', 'u1', 'alice', 'ready', 'public', 'jpeg', 'prairie_falcon.jpg', 1000, 800, 600, 'ab',
                        'originals/old1.jpg', 't', 1, 1, 1, 'p', 1, 1, 1, 1, 'Canon', 'Canon EOS R5', 1648726316000, 1700000000000)
                """)
            try old.run("INSERT INTO profiles (user_id, username, email, display_name, created_at) VALUES ('u1', 'alice', 'a@example.com', 'A', 1)")
            old.close()
        }
        let database = try SQLiteDatabase(file: file)
        XCTAssertEqual(try database.schemaVersion(), Schema.migrations.count)
        let catalog = SQLiteCatalogStore(database: database)
        let found = try catalog.search(SearchQuery(camera: "eos r5"), scope: .everyone, cursor: nil, limit: 10).items
        XCTAssertEqual(found.map(\.id), ["old1"])
        XCTAssertEqual(found.first?.title, "")
        XCTAssertEqual(found.first?.tags, [])
        XCTAssertEqual(found.first?.encrypted, false)
        let profile = try SQLiteMetadataStore(database: database).profile(userID: "u1")
        XCTAssertEqual(profile?.defaultVisibility, .public)
        XCTAssertNil(profile?.deletedAt)
        XCTAssertEqual(try catalog.usage(ownerID: "u1"), StorageUsage(bytes: 1000, images: 1))
    }

    /// Encrypted photos stored before their search term existed (schema version 2) are found.
    func testMigrationFromVersion2IndexesEncryptedPhotos() throws {
        let directory = try makeTemporaryDirectory("gallery-migration")
        defer { try? FileManager.default.removeItem(at: directory) }  // best effort: a temporary directory
        let file = directory.appendingPathComponent("old.sqlite3")
        do {
            let old = try SQLiteConnection(path: file.path, busyTimeout: 5)
            try old.execute(Schema.migrations[0])
            try old.execute(Schema.migrations[1])
            try old.execute("PRAGMA user_version = 2")
            for (id, encrypted) in [("enc1", 1), ("plain1", 0)] {
                try old.run("""
                    INSERT INTO images (id, owner_id, owner_username, status, visibility, format, original_filename, byte_size,
                                        width, height, sha256, original_key, created_at, encrypted)
                    VALUES (?, 'u1', 'alice', 'ready', 'private', 'jpeg', 'x.jpg', 1000, 800, 600, 'ab', ?, 1700000000000, ?)
                    """, [id, "originals/\(id).jpg", encrypted])
            }
            old.close()
        }
        let database = try SQLiteDatabase(file: file)
        XCTAssertEqual(try database.schemaVersion(), Schema.migrations.count)
        let found = try SQLiteCatalogStore(database: database)
            .search(SearchQuery(encryptedOnly: true), scope: .owner("u1"), cursor: nil, limit: 10).items
        XCTAssertEqual(found.map(\.id), ["enc1"])
    }

    /// A search reads the term index, not every image: the plan looks terms up by key.
    func testSearchUsesTheTermIndex() throws {
        let plan = try fixture.database.read { db in
            try db.query("""
                EXPLAIN QUERY PLAN SELECT id FROM images WHERE visibility = 'public' AND (created_at, id) < (?, ?)
                 AND id IN (SELECT image_id FROM image_terms WHERE term IN (SELECT value FROM json_each(?))
                            GROUP BY image_id HAVING COUNT(*) = ?)
                ORDER BY created_at DESC, id DESC LIMIT ?
                """, [Int64.max, "", "[\"t:x\"]", 1, 25]) { $0.string(3) }.joined(separator: "\n")
        }
        XCTAssertTrue(plan.contains("image_terms USING PRIMARY KEY (term=?)"), plan)
        XCTAssertFalse(plan.contains("SCAN images\n") || plan.hasSuffix("SCAN images"), "no full scan: \(plan)")
    }
}
