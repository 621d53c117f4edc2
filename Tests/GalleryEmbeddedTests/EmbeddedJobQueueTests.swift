import Foundation
import GalleryConformance
import GalleryCore
@testable import GalleryEmbedded
import XCTest

final class EmbeddedJobQueueTests: XCTestCase {
    private var fixture: EmbeddedFixture!
    private var suite: JobQueueConformance!

    override func setUpWithError() throws {
        fixture = try EmbeddedFixture()
        suite = JobQueueConformance(queue: SQLiteJobQueue(database: fixture.database))
    }

    override func tearDown() {
        suite = nil
        fixture = nil
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

    /// Separate SQLiteDatabase instances have separate connections, like separate processes:
    /// SQLite's file locks, not anything in this process, decide each claim.
    func testSeparateDatabasesClaimEachJobOnce() throws {
        let queue = SQLiteJobQueue(database: fixture.database)
        let now = wholeMilliseconds()
        var ids: Set<String> = []
        for i in 0..<200 { ids.insert(try queue.enqueue(.image("img\(i)"), availableAt: now).id) }
        let queues = try (0..<3).map { _ in SQLiteJobQueue(database: try fixture.openAgain()) }
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

    /// Worker processes share nothing but the file: three child processes (this test binary,
    /// running `ClaimerProcess`) and this process claim from one table at once.
    func testProcessesClaimEachJobOnce() throws {
        let queue = SQLiteJobQueue(database: fixture.database)
        let now = wholeMilliseconds()
        var ids: Set<String> = []
        for i in 0..<400 { ids.insert(try queue.enqueue(.image("img\(i)"), availableAt: now).id) }

        let start = fixture.directory.appendingPathComponent("start")
        var children: [(Process, URL)] = []
        for n in 0..<3 {
            let output = fixture.directory.appendingPathComponent("claims-\(n).txt")
            let child = Process()
            child.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0])
            child.arguments = ["GalleryEmbeddedTests.ClaimerProcess/testClaimerChild"]
            var environment = ProcessInfo.processInfo.environment
            environment["GALLERY_TEST_CLAIMER"] = [fixture.databaseFile.path, output.path, start.path,
                                                   String(now.timeIntervalSince1970)].joined(separator: "\n")
            child.environment = environment
            child.standardOutput = FileHandle.nullDevice
            try child.run()
            children.append((child, output))
        }
        // Children wait for this file, so all four start claiming together.
        Thread.sleep(forTimeInterval: 1)
        XCTAssertTrue(FileManager.default.createFile(atPath: start.path, contents: nil))
        var mine: [String] = []
        while let job = try queue.claim(owner: "parent", lease: 300, now: now) {
            mine.append(job.id)
            try queue.complete(job, now: now)
        }
        var all = mine
        var claimers = mine.isEmpty ? 0 : 1
        for (child, output) in children {
            child.waitUntilExit()
            XCTAssertEqual(child.terminationStatus, 0, "claimer process failed")
            let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map(String.init)
            all += lines
            if !lines.isEmpty { claimers += 1 }
        }
        XCTAssertEqual(all.count, ids.count, "no job claimed twice")
        XCTAssertEqual(Set(all), ids, "every job claimed")
        XCTAssertGreaterThanOrEqual(claimers, 2, "the processes did overlap")
    }
}

/// The child side of `testProcessesClaimEachJobOnce`; skipped in a normal run.
final class ClaimerProcess: XCTestCase {
    func testClaimerChild() throws {
        guard let spec = ProcessInfo.processInfo.environment["GALLERY_TEST_CLAIMER"] else {
            throw XCTSkip("runs only as a child of testProcessesClaimEachJobOnce")
        }
        let parts = spec.split(separator: "\n").map(String.init)
        let database = try SQLiteDatabase(file: URL(fileURLWithPath: parts[0]))
        let queue = SQLiteJobQueue(database: database)
        let now = Date(timeIntervalSince1970: try XCTUnwrap(Double(parts[3])))
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: parts[2]) && Date() < deadline { usleep(1000) }
        var claimed: [String] = []
        while let job = try queue.claim(owner: "pid-\(getpid())", lease: 300, now: now) {
            claimed.append(job.id)
            try queue.complete(job, now: now)
        }
        try claimed.joined(separator: "\n").write(toFile: parts[1], atomically: true, encoding: .utf8)
    }
}
