import Foundation
import GalleryCore
import Logging

/// A claimed job while this worker holds it. Every fenced write (heartbeat, complete, fail,
/// release) goes through here under one lock, so a heartbeat never bumps the version between
/// a completion's read and its write, and once the lease is lost or given back nothing more
/// is written for the job.
final class HeldLease: @unchecked Sendable {  // @unchecked: every var is guarded by `lock`
    enum State { case held, lost, released, finished }

    private let lock = NSLock()
    private var job: Job
    private var state = State.held
    private var renewedAt: Date
    private let queue: JobQueue
    private let duration: TimeInterval

    init(job: Job, queue: JobQueue, duration: TimeInterval, now: Date = Date()) {
        self.job = job
        self.queue = queue
        self.duration = duration
        renewedAt = now
    }

    var current: Job { lock.withLock { job } }
    var isHeld: Bool { lock.withLock { state == .held } }
    var lastRenewed: Date { lock.withLock { renewedAt } }

    /// Extends the lease. Returns false when the lease is no longer ours (taken over, or
    /// already finished or released); throws only `.unavailable`-like storage errors.
    @discardableResult
    func renew(now: Date = Date()) throws -> Bool {
        try lock.withLock {
            guard state == .held else { return false }
            do {
                job = try queue.heartbeat(job, lease: duration, now: now)
                renewedAt = now
                return true
            } catch GalleryError.leaseLost {
                state = .lost
                return false
            }
        }
    }

    /// Runs the job's last writes while the lease is still ours: first a heartbeat, which
    /// proves ownership and buys a full lease for the writes that are not fenced themselves
    /// (the image's status), then `body` with the current job for the fenced final write.
    /// Returns false, having written nothing, if the lease was lost or released.
    func finish(now: Date = Date(), _ body: (Job) throws -> Void) throws -> Bool {
        try lock.withLock {
            guard state == .held else { return false }
            do {
                job = try queue.heartbeat(job, lease: duration, now: now)
                renewedAt = now
                try body(job)
                state = .finished
                return true
            } catch GalleryError.leaseLost {
                state = .lost
                return false
            }
        }
    }

    /// Gives the job back unfinished (shutdown, or a storage error that is not the image's
    /// fault). Returns false if it was no longer ours.
    @discardableResult
    func release(now: Date = Date()) throws -> Bool {
        try lock.withLock {
            guard state == .held else { return false }
            do {
                try queue.release(job, now: now)
                state = .released
                return true
            } catch GalleryError.leaseLost {
                state = .lost
                return false
            }
        }
    }

    /// Stops this worker from writing anything more for the job without telling the queue:
    /// the lease then runs out and another worker takes the job.
    func abandon() {
        lock.withLock { if state == .held { state = .lost } }
    }
}

/// One thread that keeps every held lease of a pool alive: a lease is renewed once
/// `interval` has passed since its last renewal. A storage error is logged and retried on
/// the next tick (a quarter interval later), well before the lease runs out.
final class Heartbeater: @unchecked Sendable {  // @unchecked: every var is guarded by `condition`
    private let condition = NSCondition()
    private var leases: [ObjectIdentifier: HeldLease] = [:]
    private var stopped = false
    private var closed = false
    private let interval: TimeInterval
    private let logger: Logger

    init(interval: TimeInterval, logger: Logger) {
        self.interval = interval
        self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "heartbeat"
        thread.start()
    }

    /// Starts keeping `lease` alive. False once the pool is shutting down (`close`): the
    /// caller must then give the job back itself.
    func add(_ lease: HeldLease) -> Bool {
        condition.withLock {
            guard !closed else { return false }
            leases[ObjectIdentifier(lease)] = lease
            condition.broadcast()
            return true
        }
    }

    func remove(_ lease: HeldLease) {
        condition.withLock { _ = leases.removeValue(forKey: ObjectIdentifier(lease)) }
    }

    /// Refuses new leases from now on and returns those held, for shutdown to give back.
    func close() -> [HeldLease] {
        condition.withLock {
            closed = true
            return Array(leases.values)
        }
    }

    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    private func run() {
        let tick = max(interval / 4, 0.01)
        while true {
            var due: [HeldLease] = []
            condition.lock()
            while !stopped {
                let now = Date()
                due = leases.values.filter { now.timeIntervalSince($0.lastRenewed) >= interval }
                if !due.isEmpty { break }
                let next = leases.values.map { $0.lastRenewed.addingTimeInterval(interval) }.min()
                _ = condition.wait(until: next.map { min($0, now.addingTimeInterval(tick * 4)) }
                                   ?? now.addingTimeInterval(interval))
            }
            let stop = stopped
            condition.unlock()
            if stop { return }
            for lease in due {
                let job = lease.current
                do {
                    // Not ours any more: the job's thread sees it and stops writing.
                    if try !lease.renew() { remove(lease) }
                } catch {
                    logger.warning("heartbeat failed, will retry",
                                   metadata: ["job": "\(job.id)", "error": "\(error)"])
                    Thread.sleep(forTimeInterval: tick)
                }
            }
        }
    }
}
