import ArgumentParser
import Foundation
import GalleryBootstrap
import GalleryCore

struct Thumbnails: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thumbnails",
        abstract: "Make thumbnails and previews again.",
        subcommands: [Regenerate.self])

    struct Regenerate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a thumbnail job for the given images, or for all of them.",
            discussion: """
                --all finds every image by its original in the blob store, and skips those whose \
                job is already queued or running, and encrypted ones. The images keep their \
                current status until a worker has made the new derivatives.
                """)

        @Argument(help: "Image ids.")
        var ids: [String] = []

        @Flag(help: "Every image that still exists.")
        var all = false

        mutating func validate() throws {
            guard ids.isEmpty == all else { throw ValidationError("give image ids or --all (not both)") }
        }

        func run() throws {
            let backends = try Site.open().backends
            var missing = 0
            var queued = 0
            var skipped = 0
            let targets = all ? try everyImage(backends) : ids
            for id in targets {
                guard let image = try backends.stores.metadata.image(id: id) else {
                    // With --all: an original whose record is gone (`gallery blobs sweep` removes it).
                    if !all { note("gallery: no image \(id)") }
                    missing += 1
                    continue
                }
                // Ciphertext has no derivatives to make.
                if image.encrypted {
                    if !all { note("gallery: image \(id) is encrypted: skipped") }
                    skipped += 1
                    continue
                }
                let job = try backends.stores.jobs.enqueue(.image(id), availableAt: Date())
                print("queued \(job.id) for image \(id)")
                queued += 1
            }
            note("\(queued) image(s) queued" + (skipped > 0 ? ", \(skipped) encrypted skipped" : "")
                 + (all && missing > 0 ? ", \(missing) original(s) without a record skipped" : ""))
            if !all && missing > 0 { throw ExitCode(1) }
        }

        /// Every image, found by its original (each image has exactly one, on both backends,
        /// whereas DynamoDB forgets done jobs after a week), minus those whose thumbnail job
        /// is already waiting or running.
        private func everyImage(_ backends: Backends) throws -> [String] {
            var busy = Set<String>()
            for status in [JobStatus.queued, .running] {
                var cursor: String?
                repeat {
                    let page = try backends.stores.jobs.jobs(status: status, cursor: cursor, limit: 100)
                    for job in page.items { if let id = job.subject.imageID { busy.insert(id) } }
                    cursor = page.next
                } while cursor != nil
            }
            var found: [String] = []
            var cursor: String?
            repeat {
                let page = try backends.stores.blobs.list(prefix: "originals/", cursor: cursor, limit: 1000)
                for blob in page.items {
                    if let id = BlobKeys.imageID(of: blob.key), !busy.contains(id) { found.append(id) }
                }
                cursor = page.next
            } while cursor != nil
            return found
        }
    }
}
