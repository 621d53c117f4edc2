import Foundation
import GalleryCore
import XCTest
@testable import GalleryWorker

/// The `gallery-worker` binary, signalled as an auto scaling group or an operator would.
class ProcessFaultTests: BackendTestCase {
    private var site: Site!
    private var processes: [WorkerProcess] = []

    override func setUpWithError() throws {
        site = try makeSite()
    }

    override func tearDown() {
        processes.forEach { $0.stop() }
        site?.remove()
    }

    private func start(_ environment: [String: String]) throws -> WorkerProcess {
        let worker = try WorkerProcess(site: site, environment: environment)
        processes.append(worker)
        return worker
    }

    private func waitUntilRunning(_ image: ImageRecord, on worker: WorkerProcess) throws {
        XCTAssert(try eventually(timeout: 10) {
            let job = try site.job(of: image)
            return job.status == .running && job.leaseOwner?.contains(":\(worker.pid):") == true
        }, worker.output)
    }

    func testSIGTERMLetsTheHeldJobFinishWithinTheDeadline() throws {
        let worker = try start(["GALLERY_SHUTDOWN_SECONDS": "30", "GALLERY_LEASE_SECONDS": "60"])
        let image = try site.upload(bigPhoto)
        let queued = try site.upload(naturePhotos[0])
        try waitUntilRunning(image, on: worker)
        worker.signal(SIGTERM)
        XCTAssertEqual(worker.waitForExit(timeout: 30), 0, worker.output)
        XCTAssertEqual(try site.job(of: image).status, .done)
        XCTAssertEqual(try site.metadata.image(id: image.id)?.status, .ready)
        // It stopped claiming: the other upload is still waiting.
        XCTAssertEqual(try site.job(of: queued).status, .queued)
    }

    func testSIGTERMPastTheDeadlineReleasesTheJobForTheNextWorkerAtOnce() throws {
        // A 60 s lease: if the job were not released, nobody could take it during this test.
        let environment = ["GALLERY_SHUTDOWN_SECONDS": "0", "GALLERY_LEASE_SECONDS": "60"]
        let first = try start(environment)
        let image = try site.upload(bigPhoto)
        try waitUntilRunning(image, on: first)
        let signalled = Date()
        first.signal(SIGTERM)
        XCTAssertEqual(first.waitForExit(timeout: 5), 0, first.output)
        XCTAssertLessThan(Date().timeIntervalSince(signalled), 3)
        let released = try site.job(of: image)
        XCTAssertEqual(released.status, .queued)
        XCTAssertNil(released.leaseOwner)
        XCTAssertEqual(released.attempts, 0, "a released attempt is not counted")
        XCTAssertEqual(try site.metadata.image(id: image.id)?.status, .processing)

        let second = try start(environment)
        XCTAssert(try eventually(timeout: 20) { try site.allDone([image]) }, second.output)
        XCTAssertEqual(try site.job(of: image).attempts, 1)
    }

    func testKill9MidJobManyTimesOverAStreamOfUploadsLeavesEveryImageReady() throws {
        // Kills are interruptions, not failures: three attempts are enough for a good photo
        // however often its workers die (GALLERY_MAX_INTERRUPTIONS is the kills' budget).
        let environment = ["GALLERY_WORKER_JOBS": "2", "GALLERY_LEASE_SECONDS": "1", "GALLERY_MAX_ATTEMPTS": "3",
                           "GALLERY_MAX_INTERRUPTIONS": "1000"]
        var images: [ImageRecord] = []
        for round in 0..<site.scaled(100, aws: 20) {
            images.append(try site.upload(naturePhotos[round % naturePhotos.count]))
            if round % 10 == 0 { images.append(try site.upload(bigPhoto)) }
            let worker = try start(environment)
            XCTAssert(try eventually(timeout: 10) {
                try site.allJobs().contains { $0.status == .running && $0.leaseOwner?.contains(":\(worker.pid):") == true }
            }, worker.output)
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.3))
            worker.signal(SIGKILL)
            XCTAssertNotNil(worker.waitForExit(timeout: 5))
        }
        let survivor = try start(environment)
        let allReady = try eventually(timeout: 90) { try site.allDone(images) }
        XCTAssert(allReady, survivor.output)

        // Every job done; after the sweep (killed attempts leave their own, unnamed files), each
        // image has exactly its derivatives (and a copy without position if it has one).
        let sweep = try runGallery(["blobs", "sweep", "--older-than", "0"], environment: site.environment)
        XCTAssertEqual(sweep.status, 0, sweep.err)
        var expected = Set<String>()
        for image in images {
            let record = try XCTUnwrap(site.metadata.image(id: image.id))
            let keys = try XCTUnwrap(claimKeys(of: record))
            XCTAssertEqual([record.derivatives?.thumbnail.key, record.derivatives?.preview.key], [keys.thumbnail, keys.preview])
            XCTAssertEqual(try site.job(of: image).status, .done)
            expected.formUnion((record.derivatives?.blobKeys ?? []) + [image.originalKey])
        }
        XCTAssertEqual(try site.blobFiles(), expected)
        XCTAssert(try site.allJobs().contains { $0.attempts > 1 }, "no kill landed mid-job")
    }
}
