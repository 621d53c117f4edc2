import ArgumentParser
import Foundation
import GalleryCore
import GalleryHTTP

struct Blobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blobs",
        abstract: "Maintain the stored originals, thumbnails and previews.",
        subcommands: [Sweep.self])

    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete blobs that belong to no image (orphans).",
            discussion: """
                An upload stores the original before its image record. When the record's write \
                fails and the clean-up fails too (the storage went away), or when S3 stores a PUT \
                the gallery had given up on after a timeout, the original is left behind without a \
                record. The same happens to thumbnails of an image deleted while a worker made them. This \
                deletes every blob under originals/, thumbs/, previews/ and stripped/ that is older than \
                --older-than and whose image record does not exist. The age keeps uploads in \
                progress safe: their record is written right after their original. Keys of any \
                other shape are reported and kept. It also removes what interrupted writes left, \
                as old: the file store's unfinished .tmp- files and the responder's upload-* \
                files in the temporary directory (S3 keeps none). Safe to run at any time, \
                from cron.
                """)

        @Option(name: .customLong("older-than"), help: ArgumentHelp("Only blobs written at least this long ago.", valueName: "seconds"))
        var olderThan: Int = 3600

        @Flag(name: .customLong("dry-run"), help: "Print what would be deleted; delete nothing.")
        var dryRun = false

        mutating func validate() throws {
            guard olderThan >= 0 else { throw ValidationError("--older-than must be 0 or more seconds") }
        }

        func run() throws {
            let site = try Site.open()
            let backends = site.backends
            let cutoff = Date().addingTimeInterval(-Double(olderThan))
            // What interrupted writes left: the blob store's unfinished files, the responder's
            // upload files.
            let partial = try backends.stores.blobs.removeAbandonedWrites(startedBefore: cutoff, dryRun: dryRun)
                + AbandonedUploads.remove(in: site.config.temporaryDirectory, writtenBefore: cutoff, dryRun: dryRun)
            for name in partial { print("\(dryRun ? "would delete" : "deleted") \(name) (unfinished write)") }
            var orphans = 0
            var kept = 0
            for prefix in BlobKeys.prefixes {
                var cursor: String?
                repeat {
                    let page = try backends.stores.blobs.list(prefix: prefix, cursor: cursor, limit: 500)
                    var doomed: [BlobInfo] = []
                    for blob in page.items {
                        guard blob.modifiedAt <= cutoff else { kept += 1; continue }
                        guard let id = BlobKeys.imageID(of: blob.key) else {
                            note("gallery: kept \(blob.key): not the key of an image's blob")
                            kept += 1
                            continue
                        }
                        if try backends.stores.metadata.image(id: id) == nil {
                            doomed.append(blob)
                        } else {
                            kept += 1
                        }
                    }
                    // Deleting behind the cursor does not disturb the listing on either backend.
                    if !dryRun && !doomed.isEmpty { try backends.stores.blobs.delete(keys: doomed.map(\.key)) }
                    for blob in doomed {
                        print("\(dryRun ? "would delete" : "deleted") \(blob.key) (\(blob.byteSize) bytes, written \(blob.modifiedAt.iso))")
                    }
                    orphans += doomed.count
                    cursor = page.next
                } while cursor != nil
            }
            note("\(orphans) orphaned blob(s) \(dryRun ? "would be deleted (dry run)" : "deleted"), \(kept) kept")
            if !partial.isEmpty {
                note("\(partial.count) unfinished write(s) \(dryRun ? "would be deleted (dry run)" : "deleted")")
            }
        }
    }
}
