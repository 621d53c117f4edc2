import Foundation
import GalleryCore
import GalleryEmbedded
import GalleryTestSupport
import XCTest
@testable import GalleryWorker

/// `gallery backup` under load and `gallery restore`, run as an operator would.
final class BackupTests: XCTestCase {
    private var site: Site!

    override func setUpWithError() throws {
        try requireWorkerBinary()
        site = try Site()
    }

    override func tearDown() { site?.remove() }

    func testABackupTakenUnderLoadRestoresEveryPhotoThatWasReady() throws {
        let pool = WorkerPool(stores: site.stores(), settings: site.settings(slots: 2), logger: LogRecorder().logger)
        pool.start()
        defer { pool.shutdown(deadline: 1) }
        let ready = try (0..<4).map { try site.upload(naturePhotos[$0]) }
        XCTAssert(try eventually(timeout: 60) { try site.allDone(ready) })
        let before = try ready.map { try XCTUnwrap(site.metadata.image(id: $0.id)) }

        // Load while the backup runs: uploads (blob, record, job), the workers' writes, deletes.
        let stop = Atomic(false)
        // The stores are thread-safe; the load thread only calls them.
        nonisolated(unsafe) let loaded = site!
        let load = Thread {
            var i = 4
            while !stop.value {
                if let image = try? loaded.upload(naturePhotos[i % naturePhotos.count]), i % 3 == 0 {
                    _ = try? loaded.metadata.deleteImage(id: image.id)
                }
                i += 1
            }
        }
        load.start()
        Thread.sleep(forTimeInterval: 0.3)
        let backup = site.root.appendingPathComponent("backup")
        let run = try runGallery(["backup", backup.path], environment: site.environment)
        stop.value = true
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertTrue(run.out.hasPrefix("backed up "), run.out)
        XCTAssertNotEqual(try runGallery(["backup", backup.path], environment: site.environment).status, 0,
                          "a backup never writes over another")

        let restored = site.root.appendingPathComponent("restored")
        var environment = site.environment
        environment["GALLERY_DATA_DIR"] = restored.path
        let restore = try runGallery(["restore", backup.path], environment: environment)
        XCTAssertEqual(restore.status, 0, restore.err)
        XCTAssertNotEqual(try runGallery(["restore", backup.path], environment: environment).status, 0,
                          "a restore never writes over data")

        let metadata = SQLiteMetadataStore(database: try SQLiteDatabase(file: restored.appendingPathComponent("gallery.sqlite3")))
        let blobs = restored.appendingPathComponent("blobs")
        for image in before {
            let copy = try XCTUnwrap(metadata.image(id: image.id), "every photo ready when the backup started")
            XCTAssertEqual(copy, image)
            for key in [image.originalKey] + (image.derivatives?.blobKeys ?? []) {
                XCTAssertEqual(try Data(contentsOf: blobs.appendingPathComponent(key)),
                               try Data(contentsOf: site.root.appendingPathComponent("blobs").appendingPathComponent(key)), key)
            }
        }
        // Whatever else the snapshot holds has its original too (uploads store it first).
        for image in try metadata.images(ownerID: "owner-1", cursor: nil, limit: 1000).items {
            XCTAssertTrue(FileManager.default.fileExists(atPath: blobs.appendingPathComponent(image.originalKey).path), image.id)
        }
    }
}

/// A flag shared with the load thread.
private final class Atomic: @unchecked Sendable {  // @unchecked: `stored` is guarded by `lock`
    private let lock = NSLock()
    private var stored: Bool
    init(_ value: Bool) { stored = value }
    var value: Bool {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
