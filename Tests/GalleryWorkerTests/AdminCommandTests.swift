import Foundation
import GalleryCore
import GalleryTestSupport
import XCTest
@testable import GalleryWorker

/// The `gallery jobs` and `gallery thumbnails` commands, run as an operator would.
final class AdminCommandTests: XCTestCase {
    private var site: Site!

    override func setUpWithError() throws {
        try requireWorkerBinary()
        site = try Site()
    }

    override func tearDown() { site?.remove() }

    private func gallery(_ arguments: String...) throws -> CommandRun {
        try runGallery(arguments, environment: site.environment)
    }

    /// A photo a crash left processing with no job (record written, job not) is found by
    /// `gallery repair`, gets its job, and a worker makes it ready.
    func testRepairQueuesAStrandedPhotoAndAWorkerFinishesIt() throws {
        let stranded = try site.upload(naturePhotos[1])
        for job in try site.allJobs() {
            let claimed = try XCTUnwrap(site.jobs.claim(owner: "crash", lease: 60, now: Date()))
            XCTAssertEqual(claimed.id, job.id)
            try site.jobs.complete(claimed, now: Date())  // as if the job had never been written
        }
        XCTAssertEqual(try site.metadata.image(id: stranded.id)?.status, .processing)
        var run = try gallery("repair", "--grace", "3600")
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertEqual(run.out, "", "within the grace period an upload may still be writing its job")
        run = try gallery("repair", "--grace", "0")
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertEqual(run.out, "queued \(stranded.id)\n")
        let pool = WorkerPool(stores: site.stores(), settings: site.settings(), logger: LogRecorder().logger)
        pool.start()
        defer { pool.shutdown(deadline: 1) }
        XCTAssert(try eventually(timeout: 20) { try site.metadata.image(id: stranded.id)?.status == .ready })
        run = try gallery("repair", "--grace", "0")
        XCTAssertEqual(run.out, "", "nothing left to repair")
    }

    func testListCountRequeueAndRegenerate() throws {
        let html = site.root.appendingPathComponent("page.jpg")
        try Data("<html>no photo</html>".utf8).write(to: html)
        let good = try site.upload(naturePhotos[0])
        let poison = try site.upload(html, format: .jpeg, width: 10, height: 10)
        let pool = WorkerPool(stores: site.stores(metadata: site.metadata, jobs: site.jobs, blobs: site.blobs),
                              settings: site.settings(maxAttempts: 1), logger: LogRecorder().logger)
        pool.start()
        XCTAssert(try eventually(timeout: 20) { try site.job(of: poison).status == .dead && site.allDone([good]) })
        pool.shutdown(deadline: 1)
        let dead = try site.job(of: poison)

        var run = try gallery("jobs", "depth", "--json")
        XCTAssertEqual(run.status, 0, run.err)
        let depth = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        XCTAssertEqual(depth["dead"] as? Int, 1)
        XCTAssertEqual(depth["queued"] as? Int, 0)
        XCTAssert(depth["oldest_queued_age_seconds"] is NSNull)

        run = try gallery("jobs", "list", "--status", "dead", "--json")
        XCTAssertEqual(run.status, 0, run.err)
        let lines = run.out.split(separator: "\n")
        XCTAssertEqual(lines.count, 1)
        let listed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(listed["id"] as? String, dead.id)
        XCTAssert((listed["last_error"] as? String)?.contains(FailureReasons.notAnImage) == true)
        run = try gallery("jobs", "list")
        let goodJob = try site.job(of: good)
        XCTAssert(run.out.contains(dead.id) && !run.out.contains(goodJob.id), run.out)

        // A done job is not requeued; the dead one is, with its attempts reset.
        run = try gallery("jobs", "requeue", goodJob.id)
        XCTAssertEqual(run.status, 1)
        XCTAssert(run.err.contains("not dead"), run.err)
        XCTAssertEqual(try site.metadata.image(id: poison.id)?.status, .failed)
        run = try gallery("jobs", "requeue", "--all-dead")
        XCTAssertEqual(run.status, 0, run.err)
        let requeued = try XCTUnwrap(site.jobs.job(id: dead.id))
        XCTAssertEqual(requeued.status, .queued)
        XCTAssertEqual(requeued.attempts, 0)
        // Its image is being tried again: processing, the old reason gone.
        let retried = try XCTUnwrap(site.metadata.image(id: poison.id))
        XCTAssertEqual(retried.status, .processing)
        XCTAssertNil(retried.failureReason)

        run = try gallery("thumbnails", "regenerate", good.id)
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertEqual(try site.allJobs().filter { $0.subject == .image(good.id) && $0.status == .queued }.count, 1)
        // --all skips images that already have a job waiting: both do now.
        run = try gallery("thumbnails", "regenerate", "--all")
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssert(run.err.contains("0 image(s) queued"), run.err)
        run = try gallery("thumbnails", "regenerate", "no-such-image")
        XCTAssertEqual(run.status, 1)

        // The same gauges /metrics shows (QueueDepthGauges), and nothing else.
        run = try gallery("jobs", "depth", "--prometheus")
        XCTAssertEqual(run.status, 0, run.err)
        let exposition = Set(run.out.split(separator: "\n").map(String.init))
        XCTAssert(exposition.isSuperset(of: ["# TYPE gallery_jobs gauge", "gallery_jobs{status=\"queued\"} 2.0",
                                        "gallery_jobs{status=\"running\"} 0.0", "gallery_jobs{status=\"dead\"} 0.0",
                                        "# TYPE gallery_jobs_oldest_queued_age_seconds gauge"]), run.out)
        XCTAssertEqual(exposition.filter { !$0.hasPrefix("gallery_jobs") && !$0.hasPrefix("# TYPE gallery_jobs") }, Set<String>(), run.out)
        XCTAssertGreaterThan(try XCTUnwrap(exposition.first { $0.hasPrefix("gallery_jobs_oldest_queued_age_seconds ") }
            .flatMap { Double($0.split(separator: " ")[1]) }), 0)
    }

    func testRegenerateAllRequeuesEveryImageOnce() throws {
        let images = try (0..<3).map { try site.upload(naturePhotos[$0]) }
        let pool = WorkerPool(stores: site.stores(metadata: site.metadata, jobs: site.jobs, blobs: site.blobs),
                              settings: site.settings(), logger: LogRecorder().logger)
        pool.start()
        XCTAssert(try eventually(timeout: 20) { try site.allDone(images) })
        pool.shutdown(deadline: 1)
        try site.metadata.deleteImage(id: images[2].id)  // its original stays behind
        _ = try site.upload(naturePhotos[3], encrypted: true)  // ready, never thumbnailed

        let run = try gallery("thumbnails", "regenerate", "--all")
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssert(run.err.contains("2 image(s) queued, 1 encrypted skipped, 1 original(s) without a record skipped"), run.err)
        let queued = try site.allJobs().filter { $0.status == .queued }.map(\.subject.id)
        XCTAssertEqual(Set(queued), [images[0].id, images[1].id])
        XCTAssertEqual(queued.count, 2)
    }
}
