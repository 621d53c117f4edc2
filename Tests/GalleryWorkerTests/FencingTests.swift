import Foundation
import GalleryCore
import GalleryTestSupport
import XCTest
@testable import GalleryWorker

/// Fencing all the way to the blobs: a worker frozen at its first derivative write, whose lease
/// another worker takes over and finishes, writes nothing over the winner's files when it
/// resumes, and the record names the winner's.
final class FencingTests: XCTestCase {
    private var site: Site!

    override func setUpWithError() throws {
        try requireWorkerBinary()
        site = try Site()
    }

    override func tearDown() { site?.remove() }

    func testAStalledWorkerThatLostItsLeaseCannotReplaceTheWinnersDerivatives() throws {
        let gate = Gate()
        let frozen = GatedBlobs(site.blobs, gate: gate)
        // The stalled worker renews nothing (as if its process were stopped): its 1 s lease runs out.
        var stalledSettings = site.settings(lease: 1)
        stalledSettings.heartbeatInterval = 3600
        let stalled = WorkerPool(stores: site.stores(blobs: frozen), settings: stalledSettings, logger: LogRecorder().logger)
        let image = try site.upload(naturePhotos[2])
        stalled.start()
        XCTAssertTrue(gate.waitUntilReached(timeout: 60), "the stalled worker reached its first derivative write")

        Thread.sleep(forTimeInterval: 1.2)  // past the stalled worker's lease: deterministic, not a race to hit
        let winner = WorkerPool(stores: site.stores(), settings: site.settings(), logger: LogRecorder().logger)
        winner.start()
        XCTAssert(try eventually(timeout: 60) { try site.metadata.image(id: image.id)?.status == .ready })
        winner.shutdown(deadline: 5)
        let record = try XCTUnwrap(site.metadata.image(id: image.id))
        // The files themselves (inodes: an atomic rewrite with the same bytes is a new file).
        func identity(_ key: String) throws -> Int {
            try XCTUnwrap(FileManager.default.attributesOfItem(
                atPath: site.root.appendingPathComponent("blobs/\(key)").path)[.systemFileNumber] as? Int)
        }
        let winnersFiles = try Dictionary(uniqueKeysWithValues: record.namedBlobKeys.map { ($0, try identity($0)) })

        gate.open()  // the stalled worker resumes: it writes its own keys, finds the lease lost, removes them
        XCTAssert(try eventually(timeout: 30) { stalled.counters.abandoned == 1 })
        stalled.shutdown(deadline: 5)

        XCTAssertEqual(try site.metadata.image(id: image.id), record, "the record still names the winner's files")
        for (key, file) in winnersFiles {
            XCTAssertEqual(try identity(key), file, "\(key) was not written over")
        }
        XCTAssertEqual(try site.blobFiles(), Set(record.namedBlobKeys), "the loser's files are gone too")
        XCTAssertEqual(try site.job(of: image).status, .done)
    }
}

/// Blocks the first `put` until opened.
private final class Gate: @unchecked Sendable {  // @unchecked: the flags are guarded by `condition`
    private let condition = NSCondition()
    private var reached = false
    private var opened = false

    func arrive() {
        condition.withLock {
            reached = true
            condition.broadcast()
            while !opened { condition.wait() }
        }
    }

    func waitUntilReached(timeout: TimeInterval) -> Bool {
        condition.withLock {
            let until = Date().addingTimeInterval(timeout)
            while !reached && condition.wait(until: until) {}
            return reached
        }
    }

    func open() {
        condition.withLock {
            opened = true
            condition.broadcast()
        }
    }
}

private final class GatedBlobs: BlobStore, @unchecked Sendable {  // @unchecked: immutable; the gate locks itself
    let base: BlobStore
    let gate: Gate
    init(_ base: BlobStore, gate: Gate) {
        self.base = base
        self.gate = gate
    }
    func put(key: String, file: URL, contentType: String) throws {
        gate.arrive()
        try base.put(key: key, file: file, contentType: contentType)
    }
    func put(key: String, data: Data, contentType: String) throws {
        gate.arrive()
        try base.put(key: key, data: data, contentType: contentType)
    }
    func download(key: String, to file: URL) throws { try base.download(key: key, to: file) }
    func delete(keys: [String]) throws { try base.delete(keys: keys) }
    func delivery(key: String, contentType: String, downloadName: String?) throws -> BlobDelivery {
        try base.delivery(key: key, contentType: contentType, downloadName: downloadName)
    }
    func list(prefix: String, cursor: String?, limit: Int) throws -> Page<BlobInfo> {
        try base.list(prefix: prefix, cursor: cursor, limit: limit)
    }
    func removeAbandonedWrites(startedBefore cutoff: Date, dryRun: Bool) throws -> [String] {
        try base.removeAbandonedWrites(startedBefore: cutoff, dryRun: dryRun)
    }
}
