import Foundation
import GalleryCore
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
final class WorkerContext: @unchecked Sendable {
    let metadata: MetadataStore
    let jobs: JobQueue
    let blobs: BlobStore
    let settings: WorkerSettings
    let logger: Logger
    let heartbeater: Heartbeater
    let thumbnailer: IsolatedThumbnailer

    init(metadata: MetadataStore, jobs: JobQueue, blobs: BlobStore, settings: WorkerSettings,
         logger: Logger) {
        self.metadata = metadata
        self.jobs = jobs
        self.blobs = blobs
        self.settings = settings
        self.logger = logger
        heartbeater = Heartbeater(interval: settings.heartbeatInterval, logger: logger)
        thumbnailer = IsolatedThumbnailer(settings: settings.thumbnails, isolation: settings.isolation)
    }
}

/// A fault of the worker's surroundings rather than of the image: the job is given back.
private struct EnvironmentFault: Error, CustomStringConvertible {
    var description: String
}

/// One slot: claims a job and carries it through. `WorkerPool` runs one per configured slot on
/// its own thread; tests may drive one directly with `runOnce()`.
public final class Worker: @unchecked Sendable {
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
        return String(cString: buffer)
    }()

    /// Claims one job, if any, and processes it to an outcome.
    public func runOnce() -> WorkOutcome {
        let job: Job?
        do {
            job = try context.jobs.claim(owner: owner, lease: context.settings.lease, now: Date())
        } catch {
            return .storageUnavailable("\(error)")
        }
        guard let job else { return .idle }
        return process(job)
    }

    private func process(_ job: Job) -> WorkOutcome {
        var log = context.logger
        log[metadataKey: "job"] = "\(job.id)"
        log[metadataKey: "image"] = "\(job.imageID)"
        log[metadataKey: "attempt"] = "\(job.attempts)"
        let lease = HeldLease(job: job, queue: context.jobs, duration: context.settings.lease)
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
            case .completed: log.info("image ready", metadata: ["ms": "\(ms)"])
            case .retrying(_, let reason): log.warning("attempt failed, will retry", metadata: ["reason": "\(reason)"])
            case .dead(_, let reason): log.error("last attempt failed: job dead, image failed", metadata: ["reason": "\(reason)"])
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
        let job = lease.current
        let settings = context.settings
        let keys = DerivativeKeys(imageID: job.imageID)
        if job.attempts > settings.maxAttempts {
            return try fail(lease, keys: keys, dead: true, reason: FailureReasons.interrupted,
                            detail: "attempt \(job.attempts) of \(settings.maxAttempts): the earlier ones "
                                + "ended without a result (worker killed or stalled past its lease)")
        }
        guard let image = try context.metadata.image(id: job.imageID) else {
            return try finishGone(lease, keys: keys)
        }
        // "<pid>-…": a later worker removes folders of processes that died (see WorkFolders).
        let directory = settings.workDirectory.appendingPathComponent("\(getpid())-\(job.id)-\(Identifiers.make())")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw EnvironmentFault(description: "cannot create \(directory.path): \(error)")
        }
        defer {
            do { try FileManager.default.removeItem(at: directory) } catch {
                log.warning("could not remove the job's folder", metadata: ["error": "\(error)"])
            }
        }
        let original = directory.appendingPathComponent("original")
        do {
            try context.blobs.download(key: image.originalKey, to: original)
        } catch GalleryError.notFound {
            return try fail(lease, keys: keys, dead: job.attempts >= settings.maxAttempts,
                            reason: FailureReasons.missingOriginal, detail: "no blob \(image.originalKey)")
        }
        guard lease.isHeld else { return .abandoned(jobID: job.id) }

        let made: IsolatedThumbnailer.Made
        do {
            switch try context.thumbnailer.run(input: original, format: image.format,
                                               outDirectory: directory.appendingPathComponent("out"),
                                               shouldStop: { !lease.isHeld }) {
            case .cancelled:
                return .abandoned(jobID: job.id)
            case .failed(let reason, let detail):
                return try fail(lease, keys: keys, dead: job.attempts >= settings.maxAttempts,
                                reason: reason, detail: detail)
            case .made(let m):
                made = m
            }
        } catch let error as ChildProcess.SpawnError {
            throw EnvironmentFault(description: error.description)
        }
        guard lease.isHeld else { return .abandoned(jobID: job.id) }

        try context.blobs.put(key: keys.thumbnail, file: made.thumbnail, contentType: ImageFormat.webp.mimeType)
        try context.blobs.put(key: keys.preview, file: made.preview, contentType: ImageFormat.webp.mimeType)
        let derivatives = ImageDerivatives(
            thumbnail: Derivative(key: keys.thumbnail, width: made.result.thumbnail.width,
                                  height: made.result.thumbnail.height, byteSize: try size(of: made.thumbnail)),
            preview: Derivative(key: keys.preview, width: made.result.preview.width,
                                height: made.result.preview.height, byteSize: try size(of: made.preview)),
            placeholder: made.result.placeholder,
            metadata: made.result.metadata?.value)
        var gone = false
        let finished = try lease.finish { current in
            do {
                try context.metadata.markImageReady(id: job.imageID, derivatives: derivatives)
            } catch GalleryError.notFound {
                // Deleted while we worked: what we just stored belongs to nobody.
                gone = true
                try context.blobs.delete(keys: keys.all)
            }
            try context.jobs.complete(current, now: Date())
        }
        guard finished else { return .abandoned(jobID: job.id) }
        return gone ? .imageGone(jobID: job.id) : .completed(jobID: job.id)
    }

    /// Records a failed attempt: queued again after a jittered backoff, or dead with the image
    /// failed (image first, so a crash in between leaves a failed image rather than one
    /// "processing" for ever; the job then comes back and is given up again).
    private func fail(_ lease: HeldLease, keys: DerivativeKeys, dead: Bool, reason: String,
                      detail: String) throws -> WorkOutcome {
        let settings = context.settings
        var gone = false
        let finished = try lease.finish { current in
            let now = Date()
            if dead {
                do {
                    try context.metadata.markImageFailed(id: current.imageID, reason: reason)
                } catch GalleryError.notFound {
                    gone = true
                    try context.blobs.delete(keys: keys.all)
                    try context.jobs.complete(current, now: now)
                    return
                }
            }
            let retryAt = dead ? nil : now.addingTimeInterval(
                Backoff.fullJitter(attempt: current.attempts, base: settings.retryBase, cap: settings.retryCap))
            try context.jobs.fail(current, error: "\(reason) (\(detail))", retryAt: retryAt, now: now)
        }
        let id = lease.current.id
        guard finished else { return .abandoned(jobID: id) }
        if gone { return .imageGone(jobID: id) }
        return dead ? .dead(jobID: id, reason: reason) : .retrying(jobID: id, reason: reason)
    }

    private func finishGone(_ lease: HeldLease, keys: DerivativeKeys) throws -> WorkOutcome {
        let finished = try lease.finish { current in
            try context.blobs.delete(keys: keys.all)
            try context.jobs.complete(current, now: Date())
        }
        let id = lease.current.id
        return finished ? .imageGone(jobID: id) : .abandoned(jobID: id)
    }

    private func size(of file: URL) throws -> Int {
        do {
            return try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0
        } catch {
            throw EnvironmentFault(description: "cannot stat \(file.path): \(error)")
        }
    }
}
