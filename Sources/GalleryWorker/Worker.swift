import Foundation
import CoreMetrics
import GalleryCore
import GalleryUseCases
import Logging

/// What one turn of a worker did.
public enum WorkOutcome: Equatable, Sendable {
    /// Nothing was claimable.
    case idle
    case completed(jobID: String)
    /// The attempt failed; the job is queued again for later.
    case retrying(jobID: String, reason: String)
    /// The last attempt failed: the job is dead and its image failed with `reason`.
    case dead(jobID: String, reason: String)
    /// The image was deleted meanwhile; the job is complete and any derivatives removed.
    case imageGone(jobID: String)
    /// The lease was lost (taken over) or given back at shutdown: nothing more was written.
    case abandoned(jobID: String)
    /// A fault that is not the image's (storage, the local disk, starting the child): the job
    /// was given back without counting the attempt, and the worker should back off.
    case released(jobID: String, because: String)
    /// The claim itself failed: storage is unreachable.
    case storageUnavailable(String)
}

/// What every slot of a pool shares.
final class WorkerContext: Sendable {
    let stores: Stores
    let accountRemoval: AccountRemoval
    let settings: WorkerSettings
    let logger: Logger
    let heartbeater: Heartbeater
    let thumbnailer: IsolatedThumbnailer
    let metrics: WorkerMetrics

    init(stores: Stores, settings: WorkerSettings, logger: Logger, metricsFactory: MetricsFactory) {
        self.stores = stores
        accountRemoval = AccountRemoval(stores: stores, removal: ImageRemoval(stores: stores, logger: logger), logger: logger)
        self.settings = settings
        self.logger = logger
        heartbeater = Heartbeater(interval: settings.heartbeatInterval, logger: logger)
        metrics = WorkerMetrics(factory: metricsFactory)
        thumbnailer = IsolatedThumbnailer(settings: settings.thumbnails, isolation: settings.isolation, metrics: metrics)
    }
}

/// A fault of the worker's surroundings rather than of the job's subject: the job is given back.
struct EnvironmentFault: Error, CustomStringConvertible {
    var description: String
}

/// One slot: claims a job and carries it through. `WorkerPool` runs one per configured slot on
/// its own thread; tests may drive one directly with `runOnce()`.
public final class Worker: Sendable {
    /// "<host>:<pid>:<slot>:<random>", unique per slot and process lifetime.
    public let owner: String
    private let context: WorkerContext

    init(context: WorkerContext, slot: Int) {
        self.context = context
        var rng = SystemRandomNumberGenerator()
        let nonce = String(rng.next() as UInt32, radix: 16)
        owner = "\(Self.hostName):\(getpid()):\(slot):\(nonce)"
    }

    /// gethostname, not ProcessInfo.hostName, which may wait on DNS.
    private static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown-host" }
        return String(cBuffer: buffer)
    }()

    /// Claims one job, if any, and processes it to an outcome.
    public func runOnce() -> WorkOutcome {
        let job: Job?
        do {
            job = try context.stores.jobs.claim(owner: owner, lease: context.settings.lease, now: Date())
        } catch {
            context.metrics.claimFailed()
            return .storageUnavailable("\(error)")
        }
        guard let job else { return .idle }
        let started = ContinuousClock.now
        let outcome = process(job)
        context.metrics.jobFinished(job.kind, outcome, after: ContinuousClock.now - started)
        return outcome
    }

    private func process(_ job: Job) -> WorkOutcome {
        var log = context.logger
        log[metadataKey: "job"] = "\(job.id)"
        log[metadataKey: "subject"] = "\(job.subject.id)"
        log[metadataKey: "attempt"] = "\(job.attempts)"
        let lease = HeldLease(job: job, queue: context.stores.jobs, duration: context.settings.lease)
        guard context.heartbeater.add(lease) else {
            // Shutting down: claimed in the instant the pool stopped taking work.
            return giveBack(lease, log: log, because: "shutting down")
        }
        defer { context.heartbeater.remove(lease) }
        let started = Date()
        do {
            let outcome = try attempt(lease, log: log)
            let ms = Int(Date().timeIntervalSince(started) * 1000)
            switch outcome {
            case .completed where job.kind == .thumbnails:
                log.info("image ready", metadata: ["ms": "\(ms)"])
            case .retrying(_, let reason): log.warning("attempt failed, will retry", metadata: ["reason": "\(reason)"])
            case .dead(_, let reason): log.error("last attempt failed: job dead", metadata: ["reason": "\(reason)"])
            case .imageGone: log.info("image was deleted meanwhile: job completed, derivatives removed")
            case .abandoned: log.warning("lease lost or given back: dropped the job without writing more")
            default: break
            }
            return outcome
        } catch {
            return giveBack(lease, log: log, because: "\(error)")
        }
    }

    private func giveBack(_ lease: HeldLease, log: Logger, because reason: String) -> WorkOutcome {
        let id = lease.current.id
        log.warning("giving the job back", metadata: ["because": "\(reason)"])
        do {
            try lease.release()
        } catch {
            log.error("could not give the job back; its lease will run out and another worker retry it",
                      metadata: ["error": "\(error)"])
        }
        return .released(jobID: id, because: reason)
    }

    private func attempt(_ lease: HeldLease, log: Logger) throws -> WorkOutcome {
        switch lease.current.kind {
        case .thumbnails: return try makeThumbnails(lease, log: log)
        case .deleteAccount: return try purgeAccount(lease, log: log)
        }
    }

    /// Records a failed attempt: queued again after a jittered backoff, or dead. When it will
    /// be dead, `beforeDead` runs first (the image's status, so that a crash in between leaves
    /// a failed image rather than one "processing" for ever; the job then comes back and is
    /// given up again); it returns false when the job's subject is gone, and the job is then
    /// completed instead.
    func fail(_ lease: HeldLease, dead: Bool, reason: String, detail: String,
              beforeDead: ((Job) throws -> Bool)? = nil) throws -> WorkOutcome {
        let settings = context.settings
        var gone = false
        let finished = try lease.finish { current in
            let now = Date()
            if dead, let beforeDead, try !beforeDead(current) {
                gone = true
                try context.stores.jobs.complete(current, now: now)
                return
            }
            let retryAt = dead ? nil : now.addingTimeInterval(
                Backoff.fullJitter(attempt: current.attempts, base: settings.retryBase, cap: settings.retryCap))
            try context.stores.jobs.fail(current, error: "\(reason) (\(detail))", retryAt: retryAt, now: now)
        }
        let id = lease.current.id
        guard finished else { return .abandoned(jobID: id) }
        if gone { return .imageGone(jobID: id) }
        return dead ? .dead(jobID: id, reason: reason) : .retrying(jobID: id, reason: reason)
    }

    var budget: AttemptBudget {
        AttemptBudget(maxFailures: settings.maxAttempts, maxInterruptions: settings.maxInterruptions)
    }

    /// When workers were lost on the job too often: the reason its owner sees — the image's
    /// own, if an attempt failed on it before (a poison file that also killed workers), else
    /// "interrupted" — and the detail for the logs.
    func interruptedTooOften(_ job: Job) -> (reason: String, detail: String)? {
        guard budget.interruptedTooOften(job) else { return nil }
        let detail = "\(job.interruptions) worker(s) were lost on it (killed, or stalled past the lease)"
        if let last = job.lastError, let cut = last.range(of: " (") {
            return (String(last[..<cut.lowerBound]), detail + "; it had failed before: \(last)")
        }
        return (FailureReasons.interrupted, detail)
    }

    var settings: WorkerSettings { context.settings }
    var metadata: MetadataStore { context.stores.metadata }
    var jobs: JobQueue { context.stores.jobs }
    var blobs: BlobStore { context.stores.blobs }
    var thumbnailer: IsolatedThumbnailer { context.thumbnailer }
    var accountRemoval: AccountRemoval { context.accountRemoval }
}
