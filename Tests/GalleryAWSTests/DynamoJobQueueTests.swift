import Foundation
@testable import GalleryAWS
import GalleryConformance
import GalleryCore
import XCTest

/// The job queue on DynamoDB (moto, serialized: see `MotoServer`): the shared conformance
/// suite with four shards, then the sharding and cross-process claims.
final class DynamoJobQueueTests: MotoTestCase {
    override class var serializedMoto: Bool { true }

    private var client: AWSClient!
    private var queue: DynamoJobQueue!
    private var suite: JobQueueConformance!
    private let tables = DynamoTables(prefix: "test-")

    override func setUpWithError() throws {
        let moto = try self.moto
        try moto.reset()
        client = try moto.client()
        _ = try AWSSetup(client: client, tables: tables, bucket: nil).run()
        queue = DynamoJobQueue(client: client, tables: tables, shards: 4)
        suite = JobQueueConformance(queue: queue)
    }

    func testEveryCheckIsWired() throws {
        try assertEveryCheckWired(suiteSource: JobQueueConformance.sourceFile, testSource: #filePath)
    }

    func testEnqueueAndClaim() throws { try suite.testEnqueueAndClaim() }
    func testClaimWhenEmpty() throws { try suite.testClaimWhenEmpty() }
    func testClaimWaitsForAvailability() throws { try suite.testClaimWaitsForAvailability() }
    func testClaimsOldestAvailableFirst() throws { try suite.testClaimsOldestAvailableFirst() }
    func testExpiredLeaseIsReclaimed() throws { try suite.testExpiredLeaseIsReclaimed() }
    func testTakeoversCountAsInterruptions() throws { try suite.testTakeoversCountAsInterruptions() }
    func testStaleClaimIsFenced() throws { try suite.testStaleClaimIsFenced() }
    func testFailWithRetry() throws { try suite.testFailWithRetry() }
    func testFailWithoutRetryIsDeadUntilRequeued() throws { try suite.testFailWithoutRetryIsDeadUntilRequeued() }
    func testReleaseGivesTheJobBack() throws { try suite.testReleaseGivesTheJobBack() }
    func testDepth() throws { try suite.testDepth() }
    func testJobPages() throws { try suite.testJobPages() }
    func testConcurrentClaimsTakeEachJobOnce() throws { try suite.testConcurrentClaimsTakeEachJobOnce() }

    // MARK: DynamoDB only

    func testJobsSpreadOverTheShardsAndLeaveTheIndexWhenDone() throws {
        let now = wholeMilliseconds()
        var jobs: [Job] = []
        for i in 0..<40 { jobs.append(try queue.enqueue(.image("img\(i)"), availableAt: now)) }
        let db = DynamoDB(client: client)
        var perShard: [String: Int] = [:]
        for job in jobs {
            let item = try XCTUnwrap(db.getItem(tables.jobs, key: ["id": .s(job.id)]))
            perShard[try item.string("queue"), default: 0] += 1
        }
        XCTAssertEqual(Set(perShard.keys), ["QUEUE#0", "QUEUE#1", "QUEUE#2", "QUEUE#3"])
        XCTAssertTrue(perShard.values.allSatisfy { $0 >= 3 }, "\(perShard)")

        let claimed = try XCTUnwrap(queue.claim(owner: "w", lease: 30, now: now))
        try queue.complete(claimed, now: now)
        let done = try XCTUnwrap(db.getItem(tables.jobs, key: ["id": .s(claimed.id)]))
        XCTAssertNil(done["queue"], "a done job is no candidate any more")
        XCTAssertNil(done["due"])
        XCTAssertNotNil(done["ttl"], "done jobs expire")
    }

    /// Separate clients are separate processes: only DynamoDB's conditional writes decide.
    func testSeparateClientsClaimEachJobOnce() throws {
        let now = wholeMilliseconds()
        var ids: Set<String> = []
        for i in 0..<60 { ids.insert(try queue.enqueue(.image("img\(i)"), availableAt: now).id) }
        let queues = try (0..<3).map { _ in DynamoJobQueue(client: try moto.client(), tables: tables, shards: 4) }
        let log = ClaimLog()
        runOnThreads(6) { worker in
            let queue = queues[worker % queues.count]
            do {
                while let job = try queue.claim(owner: "w\(worker)", lease: 300, now: now) {
                    log.add(job.id)
                    try queue.complete(job, now: now)
                }
            } catch {
                log.fail(error)
            }
        }
        XCTAssertEqual(log.errors.map { "\($0)" }, [])
        XCTAssertEqual(log.ids.count, ids.count, "no job claimed twice")
        XCTAssertEqual(Set(log.ids), ids)
    }

    func testTheShardOfAJobIsStable() {
        XCTAssertEqual(JobItem.shard(of: "0190a1b2c3d4e5f60718293a4b5c6d7e8f90", shards: 8),
                       JobItem.shard(of: "0190a1b2c3d4e5f60718293a4b5c6d7e8f90", shards: 8))
        XCTAssertEqual(JobItem.shard(of: "", shards: 8), Int(0xcbf2_9ce4_8422_2325 % UInt64(8)))
    }
}
