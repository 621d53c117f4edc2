import Foundation
import GalleryCore
import Logging

/// The thumbnail job: original → decoding child → derivatives stored → image ready.
extension Worker {
    func makeThumbnails(_ lease: HeldLease, log: Logger) throws -> WorkOutcome {
        let job = lease.current
        guard case .image(let imageID) = job.subject else { throw EnvironmentFault(description: "not a thumbnail job") }
        let keys = DerivativeKeys(imageID: imageID)
        let dead = budget.isLastTry(job)
        let markFailed = { (reason: String) in
            { (current: Job) throws -> Bool in try self.markFailed(imageID, reason: reason, keys: keys) }
        }
        if let (reason, detail) = interruptedTooOften(job) {
            return try fail(lease, dead: true, reason: reason, detail: detail, beforeDead: markFailed(reason))
        }
        guard let image = try metadata.image(id: imageID) else {
            return try finishGone(lease, keys: keys)
        }
        if image.encrypted {
            // Ciphertext is never decoded; such a photo has no derivatives (regenerate --all
            // skips them, a job queued by hand ends here).
            log.notice("image is encrypted: nothing to make")
            let finished = try lease.finish { try jobs.complete($0, now: Date()) }
            return finished ? .completed(jobID: job.id) : .abandoned(jobID: job.id)
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
            try blobs.download(key: image.originalKey, to: original)
        } catch GalleryError.notFound {
            return try fail(lease, dead: dead, reason: FailureReasons.missingOriginal,
                            detail: "no blob \(image.originalKey)", beforeDead: markFailed(FailureReasons.missingOriginal))
        }
        guard lease.isHeld else { return .abandoned(jobID: job.id) }

        let made: IsolatedThumbnailer.Made
        do {
            switch try thumbnailer.run(input: original, format: image.format,
                                       outDirectory: directory.appendingPathComponent("out"),
                                       shouldStop: { !lease.isHeld }) {
            case .cancelled:
                return .abandoned(jobID: job.id)
            case .failed(let reason, let detail):
                return try fail(lease, dead: dead, reason: reason, detail: detail, beforeDead: markFailed(reason))
            case .made(let m):
                made = m
            }
        } catch let error as ChildProcess.SpawnError {
            throw EnvironmentFault(description: error.description)
        }
        guard lease.isHeld else { return .abandoned(jobID: job.id) }

        try blobs.put(key: keys.thumbnail, file: made.thumbnail, contentType: ImageFormat.webp.mimeType)
        try blobs.put(key: keys.preview, file: made.preview, contentType: ImageFormat.webp.mimeType)
        let othersOriginal: OriginalForOthers
        switch made.result.othersOriginal {
        case .original: othersOriginal = .original
        case .withheld: othersOriginal = .withheld
        case .copy:
            guard let copy = made.withoutPosition else { throw EnvironmentFault(description: "copy without position missing") }
            try blobs.put(key: keys.withoutPosition, file: copy, contentType: image.format.mimeType)
            othersOriginal = .copy(key: keys.withoutPosition, byteSize: try size(of: copy))
        }
        let derivatives = ImageDerivatives(
            thumbnail: Derivative(key: keys.thumbnail, width: made.result.thumbnail.width,
                                  height: made.result.thumbnail.height, byteSize: try size(of: made.thumbnail)),
            preview: Derivative(key: keys.preview, width: made.result.preview.width,
                                height: made.result.preview.height, byteSize: try size(of: made.preview)),
            placeholder: made.result.placeholder,
            metadata: made.result.metadata?.value,
            originalForOthers: othersOriginal)
        CrashPoint.derivativesStored.reached()
        var gone = false
        let finished = try lease.finish { current in
            do {
                try metadata.markImageReady(id: imageID, derivatives: derivatives)
            } catch GalleryError.notFound {
                // Deleted while we worked: what we just stored belongs to nobody.
                gone = true
                try blobs.delete(keys: keys.all)
            }
            CrashPoint.imageReady.reached()
            try jobs.complete(current, now: Date())
        }
        guard finished else { return .abandoned(jobID: job.id) }
        return gone ? .imageGone(jobID: job.id) : .completed(jobID: job.id)
    }

    /// The image's owner sees `reason`. False when the image is gone (its derivatives, if
    /// a retry stored any, are removed).
    private func markFailed(_ imageID: String, reason: String, keys: DerivativeKeys) throws -> Bool {
        do {
            try metadata.markImageFailed(id: imageID, reason: reason)
            return true
        } catch GalleryError.notFound {
            try blobs.delete(keys: keys.all)
            return false
        }
    }

    private func finishGone(_ lease: HeldLease, keys: DerivativeKeys) throws -> WorkOutcome {
        let finished = try lease.finish { current in
            try blobs.delete(keys: keys.all)
            try jobs.complete(current, now: Date())
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
