import Foundation
import GalleryConformance
import GalleryCore
import Testing

/// What every `JobQueue` must do, each check run over every backend (`JobQueueBackend`): the
/// SQLite job table, and DynamoDB (four shards) on a serialized moto_server, since concurrent
/// claims race conditional writes (see `MotoServer`). Each test case gets a new, empty queue.
/// Times passed as `now` are whole milliseconds near the real clock.
@Suite(.serialized, .backends(serializedMoto: true))
struct JobQueueConformance {
    let now = wholeMilliseconds()

    @Test(arguments: JobQueueBackend.allCases)
    func enqueueAndClaim(_ backend: JobQueueBackend) throws {
        let queue = try backend.make()
        let queued = try queue.enqueue(.image("img1"), availableAt: now)
        #expect(queued.status == .queued)
        #expect(queued.subject == .image("img1"))
        #expect(queued.kind == .thumbnails)
        #expect(queued.attempts == 0)
        #expect(queued.leaseOwner == nil)
        expectSameMillisecond(queued.availableAt, now)
        #expect(try queue.job(id: queued.id) == queued)

        let claimed = try #require(try queue.claim(owner: "worker-a", lease: 30, now: now))
        #expect(claimed.id == queued.id)
        #expect(claimed.status == .running)
        #expect(claimed.leaseOwner == "worker-a")
        expectSameMillisecond(claimed.leaseUntil, now.addingTimeInterval(30))
        #expect(claimed.attempts == 1)
        #expect(claimed.version > queued.version)
        #expect(try queue.job(id: queued.id) == claimed)
        #expect(try queue.claim(owner: "worker-b", lease: 30, now: now) == nil, "a leased job is not claimable")

        try queue.complete(claimed, now: now)
        #expect((try queue.job(id: queued.id)?.status) == .done)
        #expect(try queue.claim(owner: "worker-b", lease: 30, now: now.addingTimeInterval(3600)) == nil, "a done job is never claimed again")
    }

    @Test(arguments: JobQueueBackend.allCases)
    func claimWhenEmpty(_ backend: JobQueueBackend) throws {
        let queue = try backend.make()
        #expect(try queue.claim(owner: "worker-a", lease: 30, now: now) == nil)
        #expect(try queue.job(id: "no-such-job") == nil)
    }

    @Test(arguments: JobQueueBackend.allCases)
    func claimWaitsForAvailability(_ backend: JobQueueBackend) throws {
        let queue = try backend.make()
        let later = try queue.enqueue(.image("img1"), availableAt: now.addingTimeInterval(60))
        #expect(try queue.claim(owner: "worker-a", lease: 30, now: now) == nil)
        #expect(try queue.claim(owner: "worker-a", lease: 30, now: now.addingTimeInterval(59)) == nil)
        #expect((try queue.claim(owner: "worker-a", lease: 30, now: now.addingTimeInterval(60))?.id) == later.id)
    }

    @Test(arguments: JobQueueBackend.allCases)
    func claimsOldestAvailableFirst(_ backend: JobQueueBackend) throws {
        let queue = try backend.make()
        let second = try queue.enqueue(.image("img2"), availableAt: now.addingTimeInterval(-10))
        let first = try queue.enqueue(.image("img1"), availableAt: now.addingTimeInterval(-20))
        _ = try queue.enqueue(.image("img3"), availableAt: now.addingTimeInterval(10))
        #expect((try queue.claim(owner: "w", lease: 30, now: now)?.id) == first.id)
        #expect((try queue.claim(owner: "w", lease: 30, now: now)?.id) == second.id)
        #expect(try queue.claim(owner: "w", lease: 30, now: now) == nil)
    }

    @Test(arguments: JobQueueBackend.allCases)
    func expiredLeaseIsReclaimed(_ backend: JobQueueBackend) throws {
        let queue = try backend.make()
        let job = try queue.enqueue(.image("img1"), availableAt: now)
        let a = try #require(try queue.claim(owner: "worker-a", lease: 10, now: now))
        #expect(try queue.claim(owner: "worker-b", lease: 10, now: now.addingTimeInterval(9)) == nil)
        let b = try #require(try queue.claim(owner: "worker-b", lease: 10, now: now.addingTimeInterval(11)))
        #expect(b.id == job.id)
        #expect(b.leaseOwner == "worker-b")
        #expect(b.attempts == 2)
        #expect(b.version > a.version)
    }

    /// Claims after a failure are attempts; claims that take over an expired lease are also
    /// interruptions (the worker before was lost). A requeue starts both budgets again.
    @Test(arguments: JobQueueBackend.allCases)
    func takeoversCountAsInterruptions(_ backend: JobQueueBackend) throws {
        let queue = try backend.make()
        _ = try queue.enqueue(.image("img1"), availableAt: now)
        let first = try #require(try queue.claim(owner: "a", lease: 10, now: now))
        #expect(first.interruptions == 0)
        try queue.fail(first, error: "broken (detail)", retryAt: now, now: now)
        let second = try #require(try queue.claim(owner: "b", lease: 10, now: now))
        #expect([second.attempts, second.interruptions] == [2, 0] as [Int], "a retry after a failure is no interruption")
        let third = try #require(try queue.claim(owner: "c", lease: 10, now: now.addingTimeInterval(11)))
        #expect([third.attempts, third.interruptions] == [3, 1] as [Int], "taking over b's expired lease")
        #expect(third.lastError == "broken (detail)", "the last failure stays on record")
        #expect((try queue.job(id: third.id)?.interruptions) == 1)
        try queue.fail(third, error: "dead", retryAt: nil, now: now.addingTimeInterval(11))
        try queue.requeue(id: third.id, now: now.addingTimeInterval(12))
        let again = try #require(try queue.job(id: third.id))
        #expect([again.attempts, again.interruptions] == [0, 0] as [Int])
    }

    /// A worker whose lease was taken over can change nothing; the new owner can.
    @Test(arguments: JobQueueBackend.allCases)
    func staleClaimIsFenced(_ backend: JobQueueBackend) throws {
        let queue = try backend.make()
        _ = try queue.enqueue(.image("img1"), availableAt: now)
        let a = try #require(try queue.claim(owner: "worker-a", lease: 10, now: now))
        let t = now.addingTimeInterval(11)
        let b = try #require(try queue.claim(owner: "worker-b", lease: 10, now: t))

        expectThrows(.leaseLost, "heartbeat") { try queue.heartbeat(a, lease: 10, now: t) }
        expectThrows(.leaseLost, "complete") { try queue.complete(a, now: t) }
        expectThrows(.leaseLost, "fail") { try queue.fail(a, error: "x", retryAt: t, now: t) }
        expectThrows(.leaseLost, "release") { try queue.release(a, now: t) }
        #expect(try queue.job(id: b.id) == b, "the stale writes changed nothing")

        let beat = try queue.heartbeat(b, lease: 10, now: t.addingTimeInterval(5))
        #expect(beat.version > b.version)
        expectSameMillisecond(beat.leaseUntil, t.addingTimeInterval(15))
        #expect(try queue.job(id: b.id) == beat)
        // The value from before the heartbeat is stale too, even for the same owner.
        expectThrows(.leaseLost, "version moved on") { try queue.complete(b, now: t) }
        try queue.complete(beat, now: t.addingTimeInterval(6))
        expectThrows(.leaseLost, "complete twice") { try queue.complete(beat, now: t.addingTimeInterval(7)) }
    }

    @Test(arguments: JobQueueBackend.allCases)
    func failWithRetry(_ backend: JobQueueBackend) throws {
        let queue = try backend.make()
        _ = try queue.enqueue(.image("img1"), availableAt: now)
        let claimed = try #require(try queue.claim(owner: "w", lease: 30, now: now))
        try queue.fail(claimed, error: "decoder crashed", retryAt: now.addingTimeInterval(60), now: now)
        let failed = try #require(try queue.job(id: claimed.id))
        #expect(failed.status == .queued)
        #expect(failed.lastError == "decoder crashed")
        #expect(failed.leaseOwner == nil)
        expectSameMillisecond(failed.availableAt, now.addingTimeInterval(60))
        #expect(try queue.claim(owner: "w", lease: 30, now: now.addingTimeInterval(30)) == nil)
        let again = try #require(try queue.claim(owner: "w", lease: 30, now: now.addingTimeInterval(60)))
        #expect(again.attempts == 2)
    }

    @Test(arguments: JobQueueBackend.allCases)
    func failWithoutRetryIsDeadUntilRequeued(_ backend: JobQueueBackend) throws {
        let queue = try backend.make()
        _ = try queue.enqueue(.image("img1"), availableAt: now)
        let claimed = try #require(try queue.claim(owner: "w", lease: 30, now: now))
        try queue.fail(claimed, error: "not an image", retryAt: nil, now: now)
        let dead = try #require(try queue.job(id: claimed.id))
        #expect(dead.status == .dead)
        #expect(dead.lastError == "not an image")
        #expect(try queue.claim(owner: "w", lease: 30, now: now.addingTimeInterval(3600)) == nil)

        let later = now.addingTimeInterval(100)
        try queue.requeue(id: claimed.id, now: later)
        let requeued = try #require(try queue.job(id: claimed.id))
        #expect(requeued.status == .queued)
        #expect(requeued.attempts == 0)
        expectThrows(.notFound, "only dead jobs are requeued") { try queue.requeue(id: claimed.id, now: later) }
        expectThrows(.notFound, "unknown job") { try queue.requeue(id: "no-such-job", now: later) }
        let reclaimed = try #require(try queue.claim(owner: "w", lease: 30, now: later))
        #expect(reclaimed.id == claimed.id)
        #expect(reclaimed.attempts == 1)
    }

    @Test(arguments: JobQueueBackend.allCases)
    func releaseGivesTheJobBack(_ backend: JobQueueBackend) throws {
        let queue = try backend.make()
        _ = try queue.enqueue(.image("img1"), availableAt: now)
        let claimed = try #require(try queue.claim(owner: "w", lease: 30, now: now))
        try queue.release(claimed, now: now.addingTimeInterval(1))
        let released = try #require(try queue.job(id: claimed.id))
        #expect(released.status == .queued)
        #expect(released.attempts == 0, "a released attempt does not count")
        #expect(released.leaseOwner == nil)
        let again = try #require(try queue.claim(owner: "w2", lease: 30, now: now.addingTimeInterval(1)))
        #expect(again.id == claimed.id)
        #expect(again.attempts == 1)
    }

    @Test(arguments: JobQueueBackend.allCases)
    func depth(_ backend: JobQueueBackend) throws {
        let queue = try backend.make()
        #expect(try queue.depth(now: now) == QueueDepth(queued: 0, running: 0, dead: 0, oldestQueuedAt: nil))
        _ = try queue.enqueue(.image("a"), availableAt: now.addingTimeInterval(-30))
        _ = try queue.enqueue(.image("b"), availableAt: now.addingTimeInterval(-20))
        _ = try queue.enqueue(.image("c"), availableAt: now.addingTimeInterval(-10))
        _ = try queue.enqueue(.image("d"), availableAt: now.addingTimeInterval(600))
        let running = try #require(try queue.claim(owner: "w", lease: 30, now: now))
        #expect(running.subject == .image("a"))
        let toKill = try #require(try queue.claim(owner: "w", lease: 30, now: now))
        try queue.fail(toKill, error: "x", retryAt: nil, now: now)

        let depth = try queue.depth(now: now)
        #expect(depth.queued == 2, "c, and d which waits for its time")
        #expect(depth.running == 1)
        #expect(depth.dead == 1)
        // The oldest job waiting to run: later retries are not waiting yet.
        expectSameMillisecond(depth.oldestQueuedAt, now.addingTimeInterval(-10))
    }

    @Test(arguments: JobQueueBackend.allCases)
    func jobPages(_ backend: JobQueueBackend) throws {
        let queue = try backend.make()
        var ids: Set<String> = []
        for i in 0..<25 {
            ids.insert(try queue.enqueue(.image("img\(i)"), availableAt: now).id)
        }
        let dead = try #require(try queue.claim(owner: "w", lease: 30, now: now))
        try queue.fail(dead, error: "x", retryAt: nil, now: now)

        var seen: [Job] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try queue.jobs(status: .queued, cursor: cursor, limit: 10)
            #expect(page.items.count <= 10)
            seen += page.items
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 100
        #expect(pages > 2)
        #expect(seen.count == 24, "no duplicates")
        #expect(Set(seen.map(\.id)) == ids.subtracting([dead.id]))
        #expect(seen.allSatisfy { $0.status == .queued })
        let order = seen.map { ($0.createdAt, $0.id) }
        #expect(zip(order, order.dropFirst()).allSatisfy { $0 > $1 }, "newest first")
        #expect(try queue.jobs(status: .dead, cursor: nil, limit: 10).items.map(\.id) == [dead.id])
    }

    /// Many claimers on several threads: every job is claimed exactly once.
    @Test(arguments: JobQueueBackend.allCases)
    func concurrentClaimsTakeEachJobOnce(_ backend: JobQueueBackend) throws {
        let queue = try backend.make()
        let count = 120
        var ids: Set<String> = []
        for i in 0..<count {
            ids.insert(try queue.enqueue(.image("img\(i)"), availableAt: now).id)
        }
        let claims = ClaimLog()
        let now = self.now
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
        #expect(claims.errors.map { "\($0)" } == [])
        #expect(claims.ids.count == count, "no job claimed twice")
        #expect(Set(claims.ids) == ids, "every job claimed")
        #expect(try queue.depth(now: now).queued == 0)
    }
}
