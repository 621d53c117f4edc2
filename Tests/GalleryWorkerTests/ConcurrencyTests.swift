import Foundation
import GalleryCore
import GalleryTestSupport
import XCTest
@testable import GalleryWorker

class ConcurrencyTests: BackendTestCase {
    private var site: Site!
    private var pools: [WorkerPool] = []
    private var processes: [WorkerProcess] = []

    override func setUpWithError() throws {
        site = try makeSite()
    }

    override func tearDown() {
        pools.forEach { $0.shutdown(deadline: 1) }
        processes.forEach { $0.stop() }
        site?.remove()
    }

    func testSeveralWorkersClaimingAtOnceCompleteEachJobExactlyOnce() throws {
        let images = try (0..<site.scaled(24, aws: 12)).map { try site.upload(naturePhotos[$0 % naturePhotos.count]) }
        // Pools of several slots in this process and a worker process, all started together.
        let log = LogRecorder()
        let slots = site.scaled(3, aws: 2)
        pools = (0..<site.scaled(3, aws: 2)).map { _ in
            WorkerPool(stores: site.stores(metadata: site.metadata, jobs: site.jobs, blobs: site.blobs),
                       settings: site.settings(slots: slots, lease: 10), logger: log.logger)
        }
        processes = [try WorkerProcess(site: site, environment: ["GALLERY_WORKER_JOBS": "\(slots)", "GALLERY_LEASE_SECONDS": "10"])]
        pools.forEach { $0.start() }
        let done = try eventually(timeout: 60) { try site.allDone(images) }
        XCTAssert(done, log.messages.joined(separator: "\n"))

        let jobs = try images.map { try site.job(of: $0) }
        for job in jobs {
            XCTAssertEqual(job.status, .done)
            XCTAssertEqual(job.attempts, 1, "job \(job.id) was claimed \(job.attempts) times")
        }
        // Every completion is counted once across all workers (counters move just after the
        // job is done, so wait for them to settle).
        func completions() -> Int {
            pools.map(\.counters.completed).reduce(0, +)
                + processes[0].output.components(separatedBy: "image ready").count - 1
        }
        XCTAssert(eventually(timeout: 5) { completions() == images.count }, "\(completions()) completions")
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(completions(), images.count)
        XCTAssertEqual(pools.map(\.counters.abandoned).reduce(0, +), 0)
    }

    func testAStalledWorkerIsTakenOverAndItsLateCompletionRefused() throws {
        // Worker A takes a long job, then stalls (SIGSTOP) past its 1 s lease.
        let a = try WorkerProcess(site: site, environment: ["GALLERY_LEASE_SECONDS": "1"])
        processes = [a]
        let image = try site.upload(bigPhoto)
        XCTAssert(try eventually(timeout: 10) { try site.job(of: image).leaseOwner?.contains(":\(a.pid):") == true },
                  a.output)
        a.signal(SIGSTOP)
        let stalled = try site.job(of: image)

        // Worker B takes it over once the lease has run out and finishes it.
        Thread.sleep(forTimeInterval: 1.2)
        let log = LogRecorder()
        let b = WorkerPool(stores: site.stores(metadata: site.metadata, jobs: site.jobs, blobs: site.blobs),
                           settings: site.settings(lease: 5), logger: log.logger)
        pools = [b]
        b.start()
        XCTAssert(try eventually(timeout: 20) { try site.job(of: image).status == .done }, log.messages.joined(separator: "\n"))
        let finished = try site.job(of: image)
        XCTAssertEqual(finished.attempts, 2)
        XCTAssert(eventually(timeout: 5) { b.counters.completed == 1 }, "\(b.counters)")

        // The stale lease is refused at the queue itself…
        XCTAssertThrowsError(try site.jobs.complete(stalled, now: Date())) {
            XCTAssertEqual($0 as? GalleryError, .leaseLost)
        }
        // …and worker A, resumed, drops the job without writing anything.
        a.signal(SIGCONT)
        XCTAssert(eventually(timeout: 5) { a.output.contains("dropped the job without writing more") }, a.output)
        let after = try site.job(of: image)
        XCTAssertEqual(after.version, finished.version, "A wrote to the job after losing it")
        XCTAssertEqual(after.status, .done)
        XCTAssertEqual(try site.metadata.image(id: image.id)?.status, .ready)
    }
}
