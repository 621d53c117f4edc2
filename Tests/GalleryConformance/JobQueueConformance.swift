import Foundation
import GalleryCore
import XCTest

/// What every `JobQueue` must do. Give it a new, empty queue per test. Times passed as `now`
/// are whole milliseconds near the real clock.
public final class JobQueueConformance {
    public static let sourceFile = #filePath
    let queue: JobQueue
    let now = wholeMilliseconds()

    public init(queue: JobQueue) {
        self.queue = queue
    }

    public func testEnqueueAndClaim() throws {
        let queued = try queue.enqueue(.image("img1"), availableAt: now)
        XCTAssertEqual(queued.status, .queued)
        XCTAssertEqual(queued.subject, .image("img1"))
        XCTAssertEqual(queued.kind, .thumbnails)
        XCTAssertEqual(queued.attempts, 0)
        XCTAssertNil(queued.leaseOwner)
        assertSameMillisecond(queued.availableAt, now)
        XCTAssertEqual(try queue.job(id: queued.id), queued)

        let claimed = try XCTUnwrap(queue.claim(owner: "worker-a", lease: 30, now: now))
        XCTAssertEqual(claimed.id, queued.id)
        XCTAssertEqual(claimed.status, .running)
        XCTAssertEqual(claimed.leaseOwner, "worker-a")
        assertSameMillisecond(claimed.leaseUntil, now.addingTimeInterval(30))
        XCTAssertEqual(claimed.attempts, 1)
        XCTAssertGreaterThan(claimed.version, queued.version)
        XCTAssertEqual(try queue.job(id: queued.id), claimed)
        XCTAssertNil(try queue.claim(owner: "worker-b", lease: 30, now: now), "a leased job is not claimable")

        try queue.complete(claimed, now: now)
        XCTAssertEqual(try queue.job(id: queued.id)?.status, .done)
        XCTAssertNil(try queue.claim(owner: "worker-b", lease: 30, now: now.addingTimeInterval(3600)),
                     "a done job is never claimed again")
    }

    public func testClaimWhenEmpty() throws {
        XCTAssertNil(try queue.claim(owner: "worker-a", lease: 30, now: now))
        XCTAssertNil(try queue.job(id: "no-such-job"))
    }

    public func testClaimWaitsForAvailability() throws {
        let later = try queue.enqueue(.image("img1"), availableAt: now.addingTimeInterval(60))
        XCTAssertNil(try queue.claim(owner: "worker-a", lease: 30, now: now))
        XCTAssertNil(try queue.claim(owner: "worker-a", lease: 30, now: now.addingTimeInterval(59)))
        XCTAssertEqual(try queue.claim(owner: "worker-a", lease: 30, now: now.addingTimeInterval(60))?.id, later.id)
    }

    public func testClaimsOldestAvailableFirst() throws {
        let second = try queue.enqueue(.image("img2"), availableAt: now.addingTimeInterval(-10))
        let first = try queue.enqueue(.image("img1"), availableAt: now.addingTimeInterval(-20))
        _ = try queue.enqueue(.image("img3"), availableAt: now.addingTimeInterval(10))
        XCTAssertEqual(try queue.claim(owner: "w", lease: 30, now: now)?.id, first.id)
        XCTAssertEqual(try queue.claim(owner: "w", lease: 30, now: now)?.id, second.id)
        XCTAssertNil(try queue.claim(owner: "w", lease: 30, now: now))
    }

    public func testExpiredLeaseIsReclaimed() throws {
        let job = try queue.enqueue(.image("img1"), availableAt: now)
        let a = try XCTUnwrap(queue.claim(owner: "worker-a", lease: 10, now: now))
        XCTAssertNil(try queue.claim(owner: "worker-b", lease: 10, now: now.addingTimeInterval(9)))
        let b = try XCTUnwrap(queue.claim(owner: "worker-b", lease: 10, now: now.addingTimeInterval(11)))
        XCTAssertEqual(b.id, job.id)
        XCTAssertEqual(b.leaseOwner, "worker-b")
        XCTAssertEqual(b.attempts, 2)
        XCTAssertGreaterThan(b.version, a.version)
    }

    /// Claims after a failure are attempts; claims that take over an expired lease are also
    /// interruptions (the worker before was lost). A requeue starts both budgets again.
    public func testTakeoversCountAsInterruptions() throws {
        _ = try queue.enqueue(.image("img1"), availableAt: now)
        let first = try XCTUnwrap(queue.claim(owner: "a", lease: 10, now: now))
        XCTAssertEqual(first.interruptions, 0)
        try queue.fail(first, error: "broken (detail)", retryAt: now, now: now)
        let second = try XCTUnwrap(queue.claim(owner: "b", lease: 10, now: now))
        XCTAssertEqual([second.attempts, second.interruptions], [2, 0], "a retry after a failure is no interruption")
        let third = try XCTUnwrap(queue.claim(owner: "c", lease: 10, now: now.addingTimeInterval(11)))
        XCTAssertEqual([third.attempts, third.interruptions], [3, 1], "taking over b's expired lease")
        XCTAssertEqual(third.lastError, "broken (detail)", "the last failure stays on record")
        XCTAssertEqual(try queue.job(id: third.id)?.interruptions, 1)
        try queue.fail(third, error: "dead", retryAt: nil, now: now.addingTimeInterval(11))
        try queue.requeue(id: third.id, now: now.addingTimeInterval(12))
        let again = try XCTUnwrap(queue.job(id: third.id))
        XCTAssertEqual([again.attempts, again.interruptions], [0, 0])
    }

    /// A worker whose lease was taken over can change nothing; the new owner can.
    public func testStaleClaimIsFenced() throws {
        _ = try queue.enqueue(.image("img1"), availableAt: now)
        let a = try XCTUnwrap(queue.claim(owner: "worker-a", lease: 10, now: now))
        let t = now.addingTimeInterval(11)
        let b = try XCTUnwrap(queue.claim(owner: "worker-b", lease: 10, now: t))

        assertThrows(.leaseLost, "heartbeat") { try queue.heartbeat(a, lease: 10, now: t) }
        assertThrows(.leaseLost, "complete") { try queue.complete(a, now: t) }
        assertThrows(.leaseLost, "fail") { try queue.fail(a, error: "x", retryAt: t, now: t) }
        assertThrows(.leaseLost, "release") { try queue.release(a, now: t) }
        XCTAssertEqual(try queue.job(id: b.id), b, "the stale writes changed nothing")

        let beat = try queue.heartbeat(b, lease: 10, now: t.addingTimeInterval(5))
        XCTAssertGreaterThan(beat.version, b.version)
        assertSameMillisecond(beat.leaseUntil, t.addingTimeInterval(15))
        XCTAssertEqual(try queue.job(id: b.id), beat)
        // The value from before the heartbeat is stale too, even for the same owner.
        assertThrows(.leaseLost, "version moved on") { try queue.complete(b, now: t) }
        try queue.complete(beat, now: t.addingTimeInterval(6))
        assertThrows(.leaseLost, "complete twice") { try queue.complete(beat, now: t.addingTimeInterval(7)) }
    }

    public func testFailWithRetry() throws {
        _ = try queue.enqueue(.image("img1"), availableAt: now)
        let claimed = try XCTUnwrap(queue.claim(owner: "w", lease: 30, now: now))
        try queue.fail(claimed, error: "decoder crashed", retryAt: now.addingTimeInterval(60), now: now)
        let failed = try XCTUnwrap(queue.job(id: claimed.id))
        XCTAssertEqual(failed.status, .queued)
        XCTAssertEqual(failed.lastError, "decoder crashed")
        XCTAssertNil(failed.leaseOwner)
        assertSameMillisecond(failed.availableAt, now.addingTimeInterval(60))
        XCTAssertNil(try queue.claim(owner: "w", lease: 30, now: now.addingTimeInterval(30)))
        let again = try XCTUnwrap(queue.claim(owner: "w", lease: 30, now: now.addingTimeInterval(60)))
        XCTAssertEqual(again.attempts, 2)
    }

    public func testFailWithoutRetryIsDeadUntilRequeued() throws {
        _ = try queue.enqueue(.image("img1"), availableAt: now)
        let claimed = try XCTUnwrap(queue.claim(owner: "w", lease: 30, now: now))
        try queue.fail(claimed, error: "not an image", retryAt: nil, now: now)
        let dead = try XCTUnwrap(queue.job(id: claimed.id))
        XCTAssertEqual(dead.status, .dead)
        XCTAssertEqual(dead.lastError, "not an image")
        XCTAssertNil(try queue.claim(owner: "w", lease: 30, now: now.addingTimeInterval(3600)))

        let later = now.addingTimeInterval(100)
        try queue.requeue(id: claimed.id, now: later)
        let requeued = try XCTUnwrap(queue.job(id: claimed.id))
        XCTAssertEqual(requeued.status, .queued)
        XCTAssertEqual(requeued.attempts, 0)
        assertThrows(.notFound, "only dead jobs are requeued") { try queue.requeue(id: claimed.id, now: later) }
        assertThrows(.notFound, "unknown job") { try queue.requeue(id: "no-such-job", now: later) }
        let reclaimed = try XCTUnwrap(queue.claim(owner: "w", lease: 30, now: later))
        XCTAssertEqual(reclaimed.id, claimed.id)
        XCTAssertEqual(reclaimed.attempts, 1)
    }

    public func testReleaseGivesTheJobBack() throws {
        _ = try queue.enqueue(.image("img1"), availableAt: now)
        let claimed = try XCTUnwrap(queue.claim(owner: "w", lease: 30, now: now))
        try queue.release(claimed, now: now.addingTimeInterval(1))
        let released = try XCTUnwrap(queue.job(id: claimed.id))
        XCTAssertEqual(released.status, .queued)
        XCTAssertEqual(released.attempts, 0, "a released attempt does not count")
        XCTAssertNil(released.leaseOwner)
        let again = try XCTUnwrap(queue.claim(owner: "w2", lease: 30, now: now.addingTimeInterval(1)))
        XCTAssertEqual(again.id, claimed.id)
        XCTAssertEqual(again.attempts, 1)
    }

    public func testDepth() throws {
        XCTAssertEqual(try queue.depth(now: now), QueueDepth(queued: 0, running: 0, dead: 0, oldestQueuedAt: nil))
        _ = try queue.enqueue(.image("a"), availableAt: now.addingTimeInterval(-30))
        _ = try queue.enqueue(.image("b"), availableAt: now.addingTimeInterval(-20))
        _ = try queue.enqueue(.image("c"), availableAt: now.addingTimeInterval(-10))
        _ = try queue.enqueue(.image("d"), availableAt: now.addingTimeInterval(600))
        let running = try XCTUnwrap(queue.claim(owner: "w", lease: 30, now: now))
        XCTAssertEqual(running.subject, .image("a"))
        let toKill = try XCTUnwrap(queue.claim(owner: "w", lease: 30, now: now))
        try queue.fail(toKill, error: "x", retryAt: nil, now: now)

        let depth = try queue.depth(now: now)
        XCTAssertEqual(depth.queued, 2, "c, and d which waits for its time")
        XCTAssertEqual(depth.running, 1)
        XCTAssertEqual(depth.dead, 1)
        // The oldest job waiting to run: later retries are not waiting yet.
        assertSameMillisecond(depth.oldestQueuedAt, now.addingTimeInterval(-10))
    }

    public func testJobPages() throws {
        var ids: Set<String> = []
        for i in 0..<25 {
            ids.insert(try queue.enqueue(.image("img\(i)"), availableAt: now).id)
        }
        let dead = try XCTUnwrap(queue.claim(owner: "w", lease: 30, now: now))
        try queue.fail(dead, error: "x", retryAt: nil, now: now)

        var seen: [Job] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try queue.jobs(status: .queued, cursor: cursor, limit: 10)
            XCTAssertLessThanOrEqual(page.items.count, 10)
            seen += page.items
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 100
        XCTAssertGreaterThan(pages, 2)
        XCTAssertEqual(seen.count, 24, "no duplicates")
        XCTAssertEqual(Set(seen.map(\.id)), ids.subtracting([dead.id]))
        XCTAssertTrue(seen.allSatisfy { $0.status == .queued })
        let order = seen.map { ($0.createdAt, $0.id) }
        XCTAssertTrue(zip(order, order.dropFirst()).allSatisfy { $0 > $1 }, "newest first")
        XCTAssertEqual(try queue.jobs(status: .dead, cursor: nil, limit: 10).items.map(\.id), [dead.id])
    }

    /// Many claimers on several threads: every job is claimed exactly once.
    public func testConcurrentClaimsTakeEachJobOnce() throws {
        let count = 120
        var ids: Set<String> = []
        for i in 0..<count {
            ids.insert(try queue.enqueue(.image("img\(i)"), availableAt: now).id)
        }
        let claims = ClaimLog()
        let queue = self.queue, now = self.now
        runOnThreads(6) { worker in
            do {
                while let job = try queue.claim(owner: "worker-\(worker)", lease: 300, now: now) {
                    claims.add(job.id)
                    try queue.complete(job, now: now)
                }
            } catch {
                claims.fail(error)
            }
        }
        XCTAssertEqual(claims.errors.map { "\($0)" }, [])
        XCTAssertEqual(claims.ids.count, count, "no job claimed twice")
        XCTAssertEqual(Set(claims.ids), ids, "every job claimed")
        XCTAssertEqual(try queue.depth(now: now).queued, 0)
    }
}

/// Collects what claimer threads saw.
public final class ClaimLog: @unchecked Sendable {
    private let lock = NSLock()
    private var _ids: [String] = []
    private var _errors: [Error] = []

    public init() {}

    public func add(_ id: String) { lock.lock(); _ids.append(id); lock.unlock() }
    public func fail(_ error: Error) { lock.lock(); _errors.append(error); lock.unlock() }
    public var ids: [String] { lock.lock(); defer { lock.unlock() }; return _ids }
    public var errors: [Error] { lock.lock(); defer { lock.unlock() }; return _errors }
}

/// Runs `body` on `count` new threads at once and waits for them all (real threads, so the
/// claimers race even on a machine with few cores).
public func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        let thread = Thread {
            body(i)
            group.leave()
        }
        thread.start()
    }
    group.wait()
}
