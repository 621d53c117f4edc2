import ArgumentParser
import Foundation
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
                --all finds images through the job table (every upload queues a job) and skips \
                images whose job is already queued or running, and encrypted ones. The images \
                keep their current status until a worker has made the new derivatives.
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
            let targets = all ? try everyImage(backends.jobs) : ids
            for id in targets {
                guard let image = try backends.metadata.image(id: id) else {
                    if !all { note("gallery: no image \(id)") }
                    missing += 1
                    continue
                }
                // Ciphertext has no derivatives to make.
                if image.encrypted {
                    note("gallery: image \(id) is encrypted: skipped")
                    continue
                }
                let job = try backends.jobs.enqueue(imageID: id, kind: .thumbnails, availableAt: Date())
                print("queued \(job.id) for image \(id)")
                queued += 1
            }
            note("\(queued) image(s) queued" + (all && missing > 0 ? ", \(missing) deleted image(s) skipped" : ""))
            if !all && missing > 0 { throw ExitCode(1) }
        }

        /// Image ids of every thumbnail job, minus those with one already waiting or running.
        private func everyImage(_ jobs: JobQueue) throws -> [String] {
            var seen = Set<String>()
            var busy = Set<String>()
            var order: [String] = []
            for status in [JobStatus.queued, .running, .done, .dead] {
                var cursor: String?
                repeat {
                    let page = try jobs.jobs(status: status, cursor: cursor, limit: 100)
                    for job in page.items where job.kind == .thumbnails {
                        if status == .queued || status == .running { busy.insert(job.imageID) }
                        if seen.insert(job.imageID).inserted { order.append(job.imageID) }
                    }
                    cursor = page.next
                } while cursor != nil
            }
            return order.filter { !busy.contains($0) }
        }
    }
}
