import Foundation
import CoreMetrics
import GalleryCore
import GalleryUseCases
import Logging

/// How many turns of each kind a pool has seen; for logs and tests.
public struct WorkerCounts: Equatable, Sendable {
    public var completed = 0
    public var retried = 0
    public var dead = 0
    public var imageGone = 0
    public var abandoned = 0
    public var released = 0
    public var storageErrors = 0
    public init() {}
}

/// What shutdown did with the jobs still held at its deadline.
public struct ShutdownSummary: Equatable, Sendable {
    /// Jobs given back to the queue (available at once to another worker).
    public var released: Int
    /// Slots still busy when `shutdown` returned (their jobs were given back; their threads
    /// were stuck in storage calls).
    public var stuckSlots: Int
}

/// The claim loop of one worker process: `settings.slots` threads, each claiming and
/// processing one job at a time, one heartbeat thread keeping their leases, and optionally a
/// watcher that wakes idle slots when the job table's file changes.
public final class WorkerPool: @unchecked Sendable {  // @unchecked: every var is guarded by `condition`
    private let context: WorkerContext
    private let workers: [Worker]
    private let condition = NSCondition()
    private var stopping = false
    private var wakeGeneration = 0
    private var runningSlots = 0
    private var counts = WorkerCounts()
    private var watcher: FileChangeWatcher?
    private let repair: PeriodicRepair

    /// What the pool counts goes to `metricsFactory`, the process's backend unless a test
    /// gives its own.
    public init(stores: Stores, settings: WorkerSettings, logger: Logger = Logger(label: "gallery.worker"),
                metricsFactory: MetricsFactory = MetricsSystem.factory) {
        let context = WorkerContext(stores: stores, settings: settings, logger: logger, metricsFactory: metricsFactory)
        self.context = context
        workers = (0..<settings.slots).map { Worker(context: context, slot: $0) }
        repair = PeriodicRepair(reconciler: Reconciler(stores: stores, logger: logger), interval: settings.repairInterval,
                                logger: logger)
    }

    /// The lease owners of this pool's slots.
    public var owners: [String] { workers.map(\.owner) }

    public var counters: WorkerCounts { condition.withLock { counts } }

    public func start() {
        let s = context.settings
        WorkFolders.removeOrphans(in: s.workDirectory, logger: context.logger)
        context.heartbeater.start()
        condition.withLock { runningSlots = workers.count }
        for (slot, worker) in workers.enumerated() {
            let thread = Thread { [self] in
                runSlot(worker)
                condition.withLock {
                    runningSlots -= 1
                    condition.broadcast()
                }
            }
            thread.name = "worker-\(slot)"
            thread.start()
        }
        repair.start()
        if !s.wakeFiles.isEmpty {
            watcher = FileChangeWatcher(files: s.wakeFiles, interval: 0.015) { [weak self] in self?.wake() }
            watcher?.start()
        }
        context.logger.info("worker started", metadata: [
            "slots": "\(s.slots)", "lease_s": "\(s.lease)", "max_attempts": "\(s.maxAttempts)",
            "poll_ms": "\(Int(s.pollMinimum * 1000))…\(Int(s.pollMaximum * 1000))",
            "wake_files": "\(s.wakeFiles.map(\.lastPathComponent))",
        ])
    }

    /// New work may be there: idle slots poll now instead of at the end of their sleep.
    public func wake() {
        condition.withLock {
            wakeGeneration &+= 1
            condition.broadcast()
        }
    }

    /// Stops claiming, lets held jobs finish for up to `deadline` seconds, then gives back
    /// what is still held so another worker takes it at once. Blocks until done.
    @discardableResult
    public func shutdown(deadline: TimeInterval? = nil) -> ShutdownSummary {
        let log = context.logger
        let limit = Date().addingTimeInterval(deadline ?? context.settings.shutdownDeadline)
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
        watcher?.stop()
        repair.stop()
        log.info("shutting down: no new claims; finishing held jobs",
                 metadata: ["deadline_s": "\(deadline ?? context.settings.shutdownDeadline)"])
        waitForSlots(until: limit)
        var released = 0
        for lease in context.heartbeater.close() {
            do {
                if try lease.release() { released += 1 }
            } catch {
                log.error("could not give a job back; its lease will run out",
                          metadata: ["job": "\(lease.current.id)", "error": "\(error)"])
            }
        }
        // Released jobs' children are killed by their slots within milliseconds; a slot stuck
        // in a storage call is not waited for long.
        waitForSlots(until: Date().addingTimeInterval(released > 0 ? 2 : 0.1))
        context.heartbeater.stop()
        let stuck = condition.withLock { runningSlots }
        log.info("worker stopped", metadata: ["released": "\(released)", "stuck_slots": "\(stuck)"])
        return ShutdownSummary(released: released, stuckSlots: stuck)
    }

    private func waitForSlots(until limit: Date) {
        condition.withLock {
            while runningSlots > 0 && condition.wait(until: limit) {}
        }
    }

    private func runSlot(_ worker: Worker) {
        let s = context.settings
        var poll = PollBackoff(minimum: s.pollMinimum, maximum: s.pollMaximum)
        var storageFailures = 0
        while !condition.withLock({ stopping }) {
            let generation = condition.withLock { wakeGeneration }
            let outcome = worker.runOnce()
            record(outcome)
            switch outcome {
            case .idle:
                if storageFailures > 0 {
                    context.logger.notice("storage reachable again", metadata: ["after_failures": "\(storageFailures)"])
                    storageFailures = 0
                }
                sleep(poll.next(), unlessWokenSince: generation)
            case .storageUnavailable(let why), .released(_, let why):
                storageFailures += 1
                let delay = Backoff.exponential(attempt: storageFailures, base: s.pollMinimum * 2,
                                                cap: s.storageBackoffMaximum)
                let pause = TimeInterval.random(in: (delay / 2)...delay)
                context.logger.warning("storage or environment failing; backing off", metadata: [
                    "error": "\(why)", "failures": "\(storageFailures)", "pause_ms": "\(Int(pause * 1000))"])
                sleep(pause, unlessWokenSince: nil)
            default:
                if storageFailures > 0 {
                    context.logger.notice("storage reachable again", metadata: ["after_failures": "\(storageFailures)"])
                    storageFailures = 0
                }
                poll.reset()
            }
        }
    }

    /// Sleeps up to `seconds`, returning early on shutdown or, when `generation` is given, on
    /// a wake-up after it was read (a wake during the claim is not lost).
    private func sleep(_ seconds: TimeInterval, unlessWokenSince generation: Int?) {
        let until = Date().addingTimeInterval(seconds)
        condition.withLock {
            while !stopping && (generation == nil || generation == wakeGeneration)
                    && condition.wait(until: until) {}
        }
    }

    private func record(_ outcome: WorkOutcome) {
        condition.withLock {
            switch outcome {
            case .idle: break
            case .completed: counts.completed += 1
            case .retrying: counts.retried += 1
            case .dead: counts.dead += 1
            case .imageGone: counts.imageGone += 1
            case .abandoned: counts.abandoned += 1
            case .released: counts.released += 1
            case .storageUnavailable: counts.storageErrors += 1
            }
        }
    }
}
