import ArgumentParser
import Foundation
import GalleryBootstrap
import GalleryCore

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Back up the embedded backend (database and blobs) while it serves.",
        discussion: """
            Writes DIR/gallery.sqlite3 (SQLite's online backup API: one consistent snapshot, \
            taken while the gallery reads and writes) and DIR/blobs (hard links where DIR is on \
            the same file system, else copies), with every blob a record of the snapshot names. \
            DIR must be new or empty. Restore with `gallery restore DIR`.
            """)

    @Argument(help: "A new or empty folder.")
    var directory: String

    func run() throws {
        let (config, _) = try Bootstrap.configuration()
        let summary = try Bootstrap.backup(config, to: URL(fileURLWithPath: directory))
        for key in summary.missing { note("gallery: \(key) was deleted while the backup ran; its record is in the backup without it") }
        print("backed up \(summary.images) photo(s) and \(summary.blobs) blob(s) to \(directory)")
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a backup made by `gallery backup` into the configured data folder.",
        discussion: """
            Stop the responder and the workers, and move the current database and blobs away \
            first: restore refuses to overwrite them. The restored database is checked \
            (PRAGMA integrity_check) before the blobs are copied.
            """)

    @Argument(help: "The folder `gallery backup` wrote.")
    var directory: String

    func run() throws {
        let (config, _) = try Bootstrap.configuration()
        let summary = try Bootstrap.restore(config, from: URL(fileURLWithPath: directory))
        print("restored \(summary.images) photo(s) and \(summary.blobs) blob(s) from \(directory)")
    }
}
