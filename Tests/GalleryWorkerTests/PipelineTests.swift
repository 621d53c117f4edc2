import Foundation
import GalleryCore
import ImageInspection
import GalleryTestSupport
import XCTest
@testable import GalleryWorker

/// A pool in this process, on the embedded backend, decoding in real children.
final class PipelineTests: XCTestCase {
    private var site: Site!
    private var pool: WorkerPool?
    private let log = LogRecorder()

    override func setUpWithError() throws {
        try requireWorkerBinary()
        site = try Site()
    }

    override func tearDown() {
        pool?.shutdown(deadline: 1)
        site?.remove()
    }

    @discardableResult
    private func startPool(_ settings: WorkerSettings) -> WorkerPool {
        let pool = WorkerPool(stores: site.stores(metadata: site.metadata, jobs: site.jobs, blobs: site.blobs), settings: settings,
                              logger: log.logger)
        pool.start()
        self.pool = pool
        return pool
    }

    private func waitUntilSettled(_ images: [ImageRecord], timeout: TimeInterval = 30) throws {
        let settled = try eventually(timeout: timeout) {
            try images.allSatisfy { try site.metadata.image(id: $0.id)?.status != .processing }
        }
        XCTAssert(settled, "images still processing; log:\n" + log.messages.joined(separator: "\n"))
    }

    func testARealPhotoBecomesReadyWithWebPDerivatives() throws {
        let pool = startPool(site.settings())
        let images = try [bigPhoto, photo("photos/metadata/faces/portrait-orientation-6.jpg")].map { try site.upload($0) }
        try waitUntilSettled(images)

        for uploaded in images {
            let image = try XCTUnwrap(site.metadata.image(id: uploaded.id))
            XCTAssertEqual(image.status, .ready, image.failureReason ?? "")
            let derivatives = try XCTUnwrap(image.derivatives)
            let keys = try XCTUnwrap(claimKeys(of: image), "keys carry the claim")
            XCTAssertEqual(derivatives.thumbnail.key, keys.thumbnail)
            XCTAssertEqual(derivatives.preview.key, keys.preview)
            // Longest edge 320, 640 (the 2x thumbnail) and 1280, never upscaled.
            let longest = max(uploaded.width, uploaded.height)
            let large = try XCTUnwrap(derivatives.thumbnail2x)
            XCTAssertEqual(large.key, keys.thumbnail2x)
            for (derivative, edge) in [(derivatives.thumbnail, min(320, longest)), (large, min(640, longest)),
                                       (derivatives.preview, min(1280, longest))] {
                let file = site.root.appendingPathComponent("blobs/\(derivative.key)")
                let header = try ImageHeader.read(file: file)
                XCTAssertEqual(header.format, .webp)
                XCTAssertEqual([header.width, header.height], [derivative.width, derivative.height])
                XCTAssertEqual(max(header.width, header.height), edge)
                XCTAssertEqual(derivative.byteSize, try Data(contentsOf: file).count)
            }
        }
        // Orientation 6: stored 700×840, shown turned a quarter.
        let turned = try XCTUnwrap(site.metadata.image(id: images[1].id)?.derivatives?.preview)
        XCTAssertEqual([turned.width, turned.height], [images[1].height, images[1].width])
        // The jobs are done and their folders gone (just after the images turned ready).
        XCTAssert(eventually(timeout: 5) { pool.counters.completed == 2 })
        XCTAssertEqual(try images.map { try site.job(of: $0).status }, [.done, .done])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: site.root.appendingPathComponent("tmp/worker").path), [])
    }

    /// Others download the original through `OriginalForOthers`: a copy without the position
    /// when there is one, the original itself when there is none.
    func testAPhotoWithAPositionGetsACopyWithoutIt() throws {
        startPool(site.settings())
        let located = try site.upload(photo("photos/metadata/gps-position/thompson-springs.jpg"))
        let plain = try site.upload(naturePhotos[0])
        try waitUntilSettled([located, plain])

        let record = try XCTUnwrap(site.metadata.image(id: located.id))
        let keys = try XCTUnwrap(claimKeys(of: record))
        let derivatives = try XCTUnwrap(record.derivatives)
        XCTAssertNotNil(derivatives.metadata?.latitude, "the owner still has the position")
        let copy = try Data(contentsOf: site.root.appendingPathComponent("blobs/\(keys.withoutPosition)"))
        XCTAssertEqual(derivatives.originalForOthers, .copy(key: keys.withoutPosition, byteSize: copy.count))
        XCTAssertEqual(PositionStripper.strip([UInt8](copy), format: .jpeg), .nothingFound)
        let original = try Data(contentsOf: photo("photos/metadata/gps-position/thompson-springs.jpg"))
        XCTAssertNotEqual(PositionStripper.strip([UInt8](original), format: .jpeg), .nothingFound)
        XCTAssertEqual(derivatives.blobKeys.sorted(), [keys.preview, keys.withoutPosition, keys.thumbnail].sorted())

        XCTAssertEqual(try site.metadata.image(id: plain.id)?.derivatives?.originalForOthers, .original)
        XCTAssertFalse(try site.blobFiles().contains { $0.hasPrefix("stripped/\(plain.id)") })
    }

    func testPoisonFilesGoDeadAfterTheLastAttemptWhileOtherJobsFlow() throws {
        let pool = startPool(site.settings(slots: 2, maxAttempts: 3) { $0.addressSpaceBytes = 320 << 20 })
        let scratch = site.root.appendingPathComponent("poison")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let html = scratch.appendingPathComponent("page.jpg")
        try Data("<html><body>not a photo</body></html>".utf8).write(to: html)
        let liar = scratch.appendingPathComponent("liar.jpg")
        try lyingJPEG(width: 60_000, height: 60_000).write(to: liar)
        let black = scratch.appendingPathComponent("black.png")
        try blackPNG(width: 7000, height: 7000).write(to: black)

        // Poison between good photos; 49 megapixels exhaust the child's 320 MB here.
        let text = try site.upload(html, format: .jpeg, width: 10, height: 10)
        let good1 = try site.upload(naturePhotos[0])
        let bomb = try site.upload(liar, format: .jpeg, width: 100, height: 100)
        let good2 = try site.upload(naturePhotos[1])
        let exhausting = try site.upload(black)
        let good3 = try site.upload(naturePhotos[2])
        try waitUntilSettled([text, good1, bomb, good2, exhausting, good3])

        for good in [good1, good2, good3] {
            XCTAssertEqual(try site.metadata.image(id: good.id)?.status, .ready)
        }
        XCTAssert(eventually(timeout: 5) { pool.counters.dead == 3 }, "\(pool.counters)")
        for (poison, reasons) in [(text, [FailureReasons.notAnImage]),
                                  (bomb, [FailureReasons.tooManyPixels(50_000_000)]),
                                  (exhausting, exhaustionReasons)] {
            let image = try XCTUnwrap(site.metadata.image(id: poison.id))
            XCTAssertEqual(image.status, .failed)
            XCTAssert(reasons.contains(image.failureReason ?? ""), "\(image.failureReason ?? "no reason")")
            let job = try site.job(of: poison)
            XCTAssertEqual(job.status, .dead)
            XCTAssertEqual(job.attempts, 3)
            XCTAssertNotNil(job.lastError)
        }
        XCTAssertEqual(pool.counters.retried, 6)

        // The pool is still up and takes new work.
        let later = try site.upload(naturePhotos[3])
        try waitUntilSettled([later])
        XCTAssertEqual(try site.metadata.image(id: later.id)?.status, .ready)
    }

    func testAnImageDeletedMeanwhileCompletesItsJobAndLeavesNoDerivatives() throws {
        let image = try site.upload(photo("photos/metadata/gps-position/thompson-springs.jpg"))
        try site.metadata.deleteImage(id: image.id)
        let pool = startPool(site.settings())
        XCTAssert(try eventually(timeout: 10) { try site.job(of: image).status == .done })
        XCTAssert(eventually(timeout: 5) { pool.counters.imageGone == 1 }, "\(pool.counters)")
        XCTAssertFalse(try site.blobFiles().contains {
            $0.hasPrefix("thumbs/") || $0.hasPrefix("previews/") || $0.hasPrefix("stripped/")
        })
    }

    func testAnEncryptedPhotoIsNeverDecoded() throws {
        // As if someone queued a job for it by hand: the ciphertext must not reach a decoder.
        let image = try site.upload(naturePhotos[8], encrypted: true)
        try site.jobs.enqueue(.image(image.id), availableAt: Date())
        let pool = startPool(site.settings())
        XCTAssert(try eventually(timeout: 10) { try site.job(of: image).status == .done })
        XCTAssert(eventually(timeout: 5) { pool.counters.completed == 1 })
        let after = try XCTUnwrap(site.metadata.image(id: image.id))
        XCTAssertNil(after.derivatives)
        XCTAssertEqual(after.status, .ready)
        XCTAssertFalse(try site.blobFiles().contains { $0.hasPrefix("thumbs/") || $0.hasPrefix("previews/") })
    }

    /// Claims by workers that died mid-job (the claim counts them, nobody failed them).
    private func claimByDeadWorkers(_ count: Int) throws {
        for attempt in 1...count {
            let job = try XCTUnwrap(site.jobs.claim(owner: "dead-worker-\(attempt)", lease: 0.01, now: Date()))
            XCTAssertEqual(job.attempts, attempt)
            XCTAssertEqual(job.interruptions, attempt - 1, "a takeover of an expired lease is an interruption")
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    func testAGoodPhotoSurvivesMoreWorkerDeathsThanItHasAttempts() throws {
        let image = try site.upload(naturePhotos[5])
        try claimByDeadWorkers(3)
        startPool(site.settings(maxAttempts: 3, maxInterruptions: 5))
        try waitUntilSettled([image])
        XCTAssertEqual(try site.metadata.image(id: image.id)?.status, .ready, "workers' deaths are not the photo's failures")
    }

    func testAJobInterruptedTooOftenIsGivenUp() throws {
        let image = try site.upload(naturePhotos[5])
        try claimByDeadWorkers(3)
        startPool(site.settings(maxAttempts: 3, maxInterruptions: 3))
        try waitUntilSettled([image])
        XCTAssertEqual(try site.metadata.image(id: image.id)?.failureReason, FailureReasons.interrupted)
        XCTAssert(try eventually(timeout: 5) { try site.job(of: image).status == .dead })
    }

    func testAPoisonPhotoThatAlsoKilledWorkersEndsWithItsOwnReason() throws {
        let image = try site.upload(naturePhotos[5])
        // One real failure of the photo, then two workers lost on it.
        let first = try XCTUnwrap(site.jobs.claim(owner: "w1", lease: 30, now: Date()))
        try site.jobs.fail(first, error: "\(FailureReasons.undecodable) (gd: bad data)", retryAt: Date(), now: Date())
        for owner in ["lost-1", "lost-2"] {
            _ = try XCTUnwrap(site.jobs.claim(owner: owner, lease: 0.01, now: Date()))
            Thread.sleep(forTimeInterval: 0.02)
        }
        startPool(site.settings(maxAttempts: 3, maxInterruptions: 2))
        try waitUntilSettled([image])
        XCTAssertEqual(try site.metadata.image(id: image.id)?.failureReason, FailureReasons.undecodable,
                       "the owner sees what is wrong with the photo, not that workers died")
    }

    func testAnIdleWorkerIsWokenByTheDatabaseChanging() throws {
        // Idle sleeps of 1–2 s and more: without the wake-up a claim would take ≥ 0.7 s here.
        var settings = site.settings()
        settings.pollMinimum = 2
        settings.pollMaximum = 10
        settings.wakeFiles = site.databaseFiles
        startPool(settings)
        Thread.sleep(forTimeInterval: 0.3)
        let enqueued = Date()
        let image = try site.upload(naturePhotos[6])
        XCTAssert(try eventually(timeout: 5) { try site.job(of: image).status != .queued })
        let pickup = Date().timeIntervalSince(enqueued)
        XCTAssertLessThan(pickup, 0.5, "claimed \(Int(pickup * 1000)) ms after the upload")
        try waitUntilSettled([image])
        XCTAssertEqual(try site.metadata.image(id: image.id)?.status, .ready)
    }
}
