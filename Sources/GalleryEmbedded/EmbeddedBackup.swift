import CSQLite
import Foundation
import GalleryCore

/// A backup of the embedded backend taken while it serves, and its restore: the database
/// through SQLite's online backup API (one consistent snapshot, readers and the writer go on),
/// and the blobs, consistent with it: every blob a record of the snapshot names is in the
/// backup. Blobs are hard-linked where the backup is on the same file system (instant, and a
/// later atomic rewrite or delete of the original leaves the backup's copy alone), else copied.
///
/// Order: (1) link every blob that exists, (2) snapshot the database, (3) link what the
/// snapshot names and (1) missed (uploads finished in between). A blob deleted after (1) stays
/// in the backup as an orphan, which `gallery blobs sweep` removes after a restore.
public enum EmbeddedBackup {
    public struct Summary: Equatable, Sendable {
        public var images: Int
        public var blobs: Int
        /// Blobs a record of the snapshot names that were gone by the time they were copied
        /// (the photo was deleted while the backup ran).
        public var missing: [String]
    }

    public static let databaseName = "gallery.sqlite3"
    public static let blobsName = "blobs"

    /// `directory` must not exist or be empty.
    public static func take(database: SQLiteDatabase, blobRoot: URL, to directory: URL) throws -> Summary {
        let fm = FileManager.default
        if fm.fileExists(atPath: directory.path) {
            guard (try fm.contentsOfDirectory(atPath: directory.path)).isEmpty else {
                throw GalleryError.invalid("\(directory.path) is not empty: back up into a new folder")
            }
        }
        let blobs = directory.appendingPathComponent(blobsName)
        try fm.createDirectory(at: blobs, withIntermediateDirectories: true)
        var copied = try copyTree(from: blobRoot, to: blobs)
        let snapshot = directory.appendingPathComponent(databaseName)
        try database.backup(to: snapshot)
        let copy = try SQLiteDatabase(file: snapshot)
        var missing: [String] = []
        // Each record's keys as the core knows them (original and every derivative).
        let named = try copy.read { db in
            try db.query("SELECT \(ImageRows.columns) FROM images", [], ImageRows.image).map {
                [$0.originalKey] + ($0.derivatives?.blobKeys ?? [])
            }
        }
        for key in named.joined() where !fm.fileExists(atPath: blobs.appendingPathComponent(key).path) {
            if try copyFile(from: blobRoot.appendingPathComponent(key), to: blobs.appendingPathComponent(key)) {
                copied += 1
            } else {
                missing.append(key)
            }
        }
        return Summary(images: named.count, blobs: copied, missing: missing)
    }

    /// Puts a backup in place of the data: `databaseFile` and `blobRoot` must not exist yet
    /// (stop the gallery and move the old data away first).
    public static func restore(from directory: URL, databaseFile: URL, blobRoot: URL) throws -> Summary {
        let fm = FileManager.default
        let snapshot = directory.appendingPathComponent(databaseName)
        guard fm.fileExists(atPath: snapshot.path) else { throw GalleryError.invalid("\(directory.path) holds no backup") }
        for existing in [databaseFile, blobRoot] where fm.fileExists(atPath: existing.path) {
            throw GalleryError.invalid("\(existing.path) exists: stop the gallery and move the current data away first")
        }
        try fm.createDirectory(at: databaseFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        // A consistent copy made by SQLite itself, then checked.
        try SQLiteDatabase(file: snapshot).backup(to: databaseFile)
        let restored = try SQLiteDatabase(file: databaseFile)
        guard try restored.read({ try $0.queryFirst("PRAGMA integrity_check") { $0.string(0) } }) == "ok" else {
            throw GalleryError.unavailable("the restored database fails its integrity check")
        }
        try fm.createDirectory(at: blobRoot, withIntermediateDirectories: true)
        let blobs = try copyTree(from: directory.appendingPathComponent(blobsName), to: blobRoot)
        let images = try restored.read { try $0.queryFirst("SELECT count(*) FROM images") { $0.int(0) } ?? 0 }
        return Summary(images: images, blobs: blobs, missing: [])
    }

    /// Every regular file under `source` (temporary `.tmp-` files of writes in progress
    /// aside), linked or copied to the same place under `destination`. Returns how many.
    private static func copyTree(from source: URL, to destination: URL) throws -> Int {
        var count = 0
        let walker = FileManager.default.enumerator(at: source, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  !url.lastPathComponent.hasPrefix(AtomicFile.temporaryPrefix) else { continue }
            let relative = String(url.standardizedFileURL.path.dropFirst(source.standardizedFileURL.path.count + 1))
            if try copyFile(from: url, to: destination.appendingPathComponent(relative)) { count += 1 }
        }
        return count
    }

    /// False when the source is gone.
    private static func copyFile(from source: URL, to destination: URL) throws -> Bool {
        let fm = FileManager.default
        try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        if link(source.path, destination.path) == 0 { return true }
        if errno == ENOENT { return false }
        guard errno == EXDEV || errno == EPERM || errno == EMLINK else {
            throw GalleryError.unavailable("cannot link \(source.path): \(String(cString: strerror(errno)))")
        }
        do {
            try fm.copyItem(at: source, to: destination)
            return true
        } catch CocoaError.fileReadNoSuchFile {
            return false
        }
    }
}

extension SQLiteDatabase {
    /// A consistent copy of the whole database in `file` (SQLite's online backup API), taken
    /// while others read and write.
    public func backup(to file: URL) throws {
        var destination: OpaquePointer?
        let rc = sqlite3_open_v2(file.path, &destination, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
        defer { sqlite3_close_v2(destination) }
        guard rc == SQLITE_OK, let destination else { throw GalleryError.unavailable("sqlite: cannot create \(file.path)") }
        try read { source in
            guard let backup = sqlite3_backup_init(destination, "main", source.handle, "main") else {
                throw GalleryError.unavailable("sqlite: backup: \(String(cString: sqlite3_errmsg(destination)))")
            }
            var step: Int32
            repeat {
                step = sqlite3_backup_step(backup, -1)  // all pages in one read transaction: one snapshot
                if step == SQLITE_BUSY || step == SQLITE_LOCKED { usleep(10_000) }
            } while step == SQLITE_OK || step == SQLITE_BUSY || step == SQLITE_LOCKED
            let finish = sqlite3_backup_finish(backup)
            guard step == SQLITE_DONE, finish == SQLITE_OK else {
                throw GalleryError.unavailable("sqlite: backup to \(file.path) failed (\(step), \(finish))")
            }
        }
    }
}
