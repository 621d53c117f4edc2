import Foundation
import GalleryCore
import GalleryTestSupport
import XCTest
@testable import GalleryWorker

/// The storage endpoint going away: each seam of the embedded backend wrapped so that, while
/// the outage lasts, every call fails as a network or database outage would.
class StorageOutageTests: BackendTestCase {
    private var site: Site!
    private var pool: WorkerPool?

    override func setUpWithError() throws {
        site = try makeSite()
    }

    override func tearDown() {
        pool?.shutdown(deadline: 1)
        site?.remove()
    }

    func testWorkersBackOffLogClearlyAndResumeWithNothingLost() throws {
        let outage = Outage()
        outage.begin()
        let images = try (0..<4).map { try site.upload(naturePhotos[$0]) }
        let log = LogRecorder()
        let pool = WorkerPool(stores: site.stores(metadata: FlakyMetadata(site.metadata, outage), jobs: FlakyJobs(site.jobs, outage),
                                                  blobs: FlakyBlobs(site.blobs, outage)), settings: site.settings(slots: 2), logger: log.logger)
        self.pool = pool
        pool.start()
        Thread.sleep(forTimeInterval: 1.5)
        let failedCalls = outage.failedCalls
        XCTAssertGreaterThan(failedCalls, 2)
        // Backing off: two slots over 1.5 s with a 0.3 s cap, not a busy loop.
        XCTAssertLessThan(failedCalls, 60)
        XCTAssert(log.contains("backing off"))
        outage.end()

        XCTAssert(try eventually(timeout: 20) { try site.allDone(images) }, log.messages.joined(separator: "\n"))
        XCTAssert(log.contains("storage reachable again"))
        for image in images { XCTAssertEqual(try site.job(of: image).status, .done) }
    }

    func testAnObjectStoreOutageMidJobGivesTheJobBackWithoutSpendingAnAttempt() throws {
        let outage = Outage()
        let image = try site.upload(naturePhotos[7])
        // The first derivative upload fails and the object store stays away for half a
        // second; the job table stays up, so the job can be given back.
        let blobs = FlakyBlobs(site.blobs, outage, onPut: { outage.begin(for: 0.5) })
        let log = LogRecorder()
        let pool = WorkerPool(stores: site.stores(metadata: site.metadata, jobs: site.jobs, blobs: blobs), settings: site.settings(), logger: log.logger)
        self.pool = pool
        pool.start()
        XCTAssert(try eventually(timeout: 20) { try site.allDone([image]) }, log.messages.joined(separator: "\n"))
        let job = try site.job(of: image)
        XCTAssertEqual(job.status, .done)
        XCTAssertEqual(job.attempts, 1, "the attempt cut short by the outage was given back, not counted")
        XCTAssertGreaterThanOrEqual(pool.counters.released, 1)
    }
}

final class Outage: @unchecked Sendable {
    private let lock = NSLock()
    private var until: Date?
    private var triggered = false
    private(set) var failedCallsStorage = 0

    var failedCalls: Int { lock.withLock { failedCallsStorage } }

    func begin() { lock.withLock { until = .distantFuture } }
    func end() { lock.withLock { until = nil } }

    /// Starts an outage of `seconds`, once.
    func begin(for seconds: TimeInterval) {
        lock.withLock {
            guard !triggered else { return }
            triggered = true
            until = Date().addingTimeInterval(seconds)
        }
    }

    func check(_ call: String) throws {
        try lock.withLock {
            if let until, Date() < until {
                failedCallsStorage += 1
                throw GalleryError.unavailable("test outage: \(call)")
            }
        }
    }
}

final class FlakyJobs: JobQueue, @unchecked Sendable {
    let base: JobQueue, outage: Outage
    init(_ base: JobQueue, _ outage: Outage) { self.base = base; self.outage = outage }
    func enqueue(_ subject: JobSubject, availableAt: Date) throws -> Job {
        try outage.check("enqueue"); return try base.enqueue(subject, availableAt: availableAt)
    }
    func claim(owner: String, lease: TimeInterval, now: Date) throws -> Job? {
        try outage.check("claim"); return try base.claim(owner: owner, lease: lease, now: now)
    }
    func heartbeat(_ job: Job, lease: TimeInterval, now: Date) throws -> Job {
        try outage.check("heartbeat"); return try base.heartbeat(job, lease: lease, now: now)
    }
    func complete(_ job: Job, now: Date) throws { try outage.check("complete"); try base.complete(job, now: now) }
    func fail(_ job: Job, error: String, retryAt: Date?, now: Date) throws {
        try outage.check("fail"); try base.fail(job, error: error, retryAt: retryAt, now: now)
    }
    func release(_ job: Job, now: Date) throws { try outage.check("release"); try base.release(job, now: now) }
    func job(id: String) throws -> Job? { try outage.check("job"); return try base.job(id: id) }
    func jobs(status: JobStatus, cursor: String?, limit: Int) throws -> Page<Job> {
        try outage.check("jobs"); return try base.jobs(status: status, cursor: cursor, limit: limit)
    }
    func requeue(id: String, now: Date) throws { try outage.check("requeue"); try base.requeue(id: id, now: now) }
    func depth(now: Date) throws -> QueueDepth { try outage.check("depth"); return try base.depth(now: now) }
}

final class FlakyBlobs: BlobStore, @unchecked Sendable {
    let base: BlobStore, outage: Outage, onPut: () -> Void
    init(_ base: BlobStore, _ outage: Outage, onPut: @escaping () -> Void = {}) {
        self.base = base; self.outage = outage; self.onPut = onPut
    }
    func put(key: String, file: URL, contentType: String) throws {
        onPut(); try outage.check("put"); try base.put(key: key, file: file, contentType: contentType)
    }
    func put(key: String, data: Data, contentType: String) throws {
        onPut(); try outage.check("put"); try base.put(key: key, data: data, contentType: contentType)
    }
    func download(key: String, to file: URL) throws { try outage.check("download"); try base.download(key: key, to: file) }
    func delete(keys: [String]) throws { try outage.check("delete"); try base.delete(keys: keys) }
    func delivery(key: String, contentType: String, downloadName: String?) throws -> BlobDelivery {
        try base.delivery(key: key, contentType: contentType, downloadName: downloadName)
    }
    func list(prefix: String, cursor: String?, limit: Int) throws -> Page<BlobInfo> {
        try outage.check("list"); return try base.list(prefix: prefix, cursor: cursor, limit: limit)
    }
    func removeAbandonedWrites(startedBefore cutoff: Date, dryRun: Bool) throws -> [String] {
        try base.removeAbandonedWrites(startedBefore: cutoff, dryRun: dryRun)
    }
}

/// Only the calls the worker makes fail; the rest pass through.
final class FlakyMetadata: MetadataStore, @unchecked Sendable {
    let base: MetadataStore, outage: Outage
    init(_ base: MetadataStore, _ outage: Outage) { self.base = base; self.outage = outage }
    func image(id: String) throws -> ImageRecord? { try outage.check("image"); return try base.image(id: id) }
    func markImageReady(id: String, derivatives: ImageDerivatives) throws {
        try outage.check("markImageReady"); try base.markImageReady(id: id, derivatives: derivatives)
    }
    func markImageProcessing(id: String) throws {
        try outage.check("markImageProcessing"); try base.markImageProcessing(id: id)
    }
    func markImageFailed(id: String, reason: String) throws {
        try outage.check("markImageFailed"); try base.markImageFailed(id: id, reason: reason)
    }
    func createProfile(_ profile: Profile) throws { try base.createProfile(profile) }
    func profile(userID: String) throws -> Profile? { try base.profile(userID: userID) }
    func profile(username: String) throws -> Profile? { try base.profile(username: username) }
    func createSession(_ session: SessionRecord) throws { try base.createSession(session) }
    func session(idHash: String) throws -> SessionRecord? { try base.session(idHash: idHash) }
    func touchSession(idHash: String, lastSeenAt: Date) throws { try base.touchSession(idHash: idHash, lastSeenAt: lastSeenAt) }
    func deleteSession(idHash: String) throws { try base.deleteSession(idHash: idHash) }
    func deleteSessions(userID: String) throws { try base.deleteSessions(userID: userID) }
    func sessions(userID: String) throws -> [SessionRecord] { try base.sessions(userID: userID) }
    func countAttempt(key: String, expiresAt: Date) throws -> Int { try base.countAttempt(key: key, expiresAt: expiresAt) }
    func putImage(_ image: ImageRecord) throws { try base.putImage(image) }
    func deleteImage(id: String) throws -> ImageRecord? { try base.deleteImage(id: id) }
    func images(ownerID: String, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        try base.images(ownerID: ownerID, cursor: cursor, limit: limit)
    }
    func publicFeed(cursor: String?, limit: Int) throws -> Page<ImageRecord> { try base.publicFeed(cursor: cursor, limit: limit) }
    func processingImages(createdBefore: Date, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        try base.processingImages(createdBefore: createdBefore, cursor: cursor, limit: limit)
    }
}
