import ArgumentParser
import Foundation
import GalleryCore
import GalleryMetrics

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List, requeue and count jobs (thumbnails, account removal).",
        subcommands: [List.self, Requeue.self, Depth.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List jobs, newest first: queued, running and dead unless --status says which.")

        @Option(help: "queued, running, dead or done.")
        var status: String?

        @Option(help: "At most this many jobs per status.")
        var limit: Int = 50

        @Flag(help: "One JSON object per line.")
        var json = false

        mutating func validate() throws {
            if let status, JobStatus(rawValue: status) == nil {
                throw ValidationError("--status must be queued, running, dead or done")
            }
            guard limit > 0 else { throw ValidationError("--limit must be positive") }
        }

        func run() throws {
            let jobs = try Site.open().backends.stores.jobs
            let statuses = status.flatMap(JobStatus.init(rawValue:)).map { [$0] } ?? [.queued, .running, .dead]
            if !json {
                print(row("JOB", "KIND", "IMAGE / USER", "STATUS", "TRIES", "WHEN", "OWNER / LAST ERROR"))
            }
            for status in statuses {
                var cursor: String?
                var shown = 0
                repeat {
                    let page = try jobs.jobs(status: status, cursor: cursor, limit: min(100, limit - shown))
                    for job in page.items {
                        print(json ? try jsonLine(job) : line(job))
                    }
                    shown += page.items.count
                    cursor = page.next
                } while cursor != nil && shown < limit
            }
        }

        private func line(_ job: Job) -> String {
            let when: String
            let who: String
            switch job.status {
            case .running:
                when = "lease until " + (job.leaseUntil?.iso ?? "?")
                who = job.leaseOwner ?? ""
            case .queued:
                when = "available " + job.availableAt.iso
                who = job.lastError ?? ""
            case .dead, .done:
                when = "updated " + job.updatedAt.iso
                who = job.lastError ?? ""
            }
            return row(job.id, job.kind.rawValue, job.subject.id, job.status.rawValue, "\(job.attempts)", when, who)
        }

        private func row(_ c: String...) -> String {
            let widths = [32, 14, 32, 8, 5, 36]
            return zip(c, widths + [0]).map { $1 > 0 ? $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) : $0 }
                .joined(separator: " ")
        }

        private func jsonLine(_ job: Job) throws -> String {
            var object: [String: Any] = [
                "id": job.id, "subject_id": job.subject.id, "kind": job.kind.rawValue,
                "status": job.status.rawValue, "attempts": job.attempts,
                "available_at": job.availableAt.iso, "created_at": job.createdAt.iso,
                "updated_at": job.updatedAt.iso,
            ]
            object["lease_owner"] = job.leaseOwner
            object["lease_until"] = job.leaseUntil?.iso
            object["last_error"] = job.lastError
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }

    struct Requeue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue dead jobs again with their attempts reset.")

        @Argument(help: "Ids of dead jobs.")
        var ids: [String] = []

        @Flag(help: "Every dead job.")
        var allDead = false

        mutating func validate() throws {
            guard ids.isEmpty == allDead else {
                throw ValidationError("give job ids or --all-dead (not both)")
            }
        }

        func run() throws {
            let backends = try Site.open().backends
            let jobs = backends.stores.jobs
            var targets = ids
            if allDead {
                var cursor: String?
                repeat {
                    let page = try jobs.jobs(status: .dead, cursor: cursor, limit: 100)
                    targets += page.items.map(\.id)
                    cursor = page.next
                } while cursor != nil
            }
            var failures = 0
            for id in targets {
                do {
                    try jobs.requeue(id: id, now: Date())
                    print("requeued \(id)")
                    try showRetried(jobs.job(id: id), metadata: backends.stores.metadata)
                } catch GalleryError.notFound {
                    note("gallery: job \(id) does not exist or is not dead")
                    failures += 1
                }
            }
            if allDead { note("\(targets.count - failures) dead job(s) requeued") }
            if failures > 0 { throw ExitCode(1) }
        }

        /// A failed image whose thumbnail job is queued again shows as processing, not with
        /// the old reason, until the worker is done with it.
        private func showRetried(_ job: Job?, metadata: MetadataStore) throws {
            guard let imageID = job?.subject.imageID, try metadata.image(id: imageID)?.status == .failed else { return }
            do {
                try metadata.markImageProcessing(id: imageID)
            } catch GalleryError.notFound {
                // Deleted meanwhile: the job finds it gone and ends.
            }
        }
    }

    struct Depth: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queued, running and dead counts and the age of the oldest waiting job (for scaling on backlog).")

        @Flag(help: "Print one JSON object.")
        var json = false

        @Flag(help: "Print Prometheus text exposition (for a textfile collector or a /metrics page).")
        var prometheus = false

        mutating func validate() throws {
            if json && prometheus { throw ValidationError("choose --json or --prometheus") }
        }

        func run() throws {
            let now = Date()
            let site = try Site.open()
            let depth = try site.backends.stores.jobs.depth(now: now)
            let age = depth.oldestQueuedAt.map { max(0, now.timeIntervalSince($0)) }
            if prometheus {
                // The same gauges as /metrics, through the same type.
                QueueDepthGauges(factory: site.metrics.factory).record(depth, now: now)
                print(site.metrics.prometheusText(), terminator: "")
            } else if json {
                var object: [String: Any] = ["queued": depth.queued, "running": depth.running, "dead": depth.dead]
                object["oldest_queued_age_seconds"] = age.map { (($0 * 1000).rounded() / 1000) as Any } ?? NSNull()
                object["oldest_queued_at"] = depth.oldestQueuedAt.map { $0.iso as Any } ?? NSNull()
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("queued   \(depth.queued)")
                print("running  \(depth.running)")
                print("dead     \(depth.dead)")
                print("oldest queued: " + (age.map { String(format: "%.1f s ago", $0) } ?? "none waiting"))
            }
        }
    }
}
