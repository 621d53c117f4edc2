import Foundation
import GalleryCore
import GalleryCrypto

/// Originals and derivatives in one S3 bucket. Every object is encrypted at rest (SSE-S3,
/// asked for on every write), typed with the Content-Type the caller sniffed, and served to
/// browsers with short-lived presigned GET URLs (see `delivery`).
public final class S3BlobStore: BlobStore {
    public let bucket: S3Bucket
    /// Files at least this large go up in parts.
    public let multipartThreshold: Int64
    /// Part size of multipart uploads (S3's minimum is 5 MiB, except for the last part).
    public let partSize: Int64
    /// Presigned URLs are valid between half of this and all of it (see `delivery`).
    public let urlLifetime: TimeInterval
    private let now: @Sendable () -> Date

    public init(bucket: S3Bucket, multipartThreshold: Int64 = 16 << 20, partSize: Int64 = 8 << 20,
                urlLifetime: TimeInterval = 3600, now: @escaping @Sendable () -> Date = { Date() }) throws {
        guard partSize >= 5 << 20 else { throw GalleryError.invalid("an S3 part size is at least 5 MiB") }
        guard urlLifetime >= 60, urlLifetime <= 7 * 24 * 3600 else {
            throw GalleryError.invalid("presigned URL lifetime must be 60 s … 7 days")
        }
        self.bucket = bucket
        self.multipartThreshold = max(partSize, multipartThreshold)
        self.partSize = partSize
        self.urlLifetime = urlLifetime
        self.now = now
    }

    public func put(key: String, file: URL, contentType: String) throws {
        try BlobKeys.check(key)
        let size: Int64
        do {
            size = Int64(try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0)
        } catch {
            throw GalleryError.invalid("cannot read the file to store: \(error.localizedDescription)")
        }
        try call {
            if size >= multipartThreshold {
                try putInParts(key: key, file: file, size: size, contentType: contentType)
            } else {
                // Streamed from the file; its hash is not known up front, and TLS guards it in transit.
                try bucket.putObject(key: key, body: .file(file), length: size, contentType: contentType,
                                     payloadHash: SigV4Signer.unsignedPayload)
            }
        }
    }

    public func put(key: String, data: Data, contentType: String) throws {
        try BlobKeys.check(key)
        try call {
            try bucket.putObject(key: key, body: .bytes(data), length: Int64(data.count), contentType: contentType,
                                 payloadHash: SHA256.hex(data))
        }
    }

    /// A failed part aborts the upload so no parts are left billed; if the abort fails too,
    /// the bucket's lifecycle rule (set by `gallery setup`) removes them after a day.
    private func putInParts(key: String, file: URL, size: Int64, contentType: String) throws {
        let uploadID = try bucket.createMultipartUpload(key: key, contentType: contentType)
        do {
            var parts: [(number: Int, etag: String)] = []
            var offset: Int64 = 0
            while offset < size {
                let length = min(partSize, size - offset)
                let etag = try bucket.uploadPart(key: key, uploadID: uploadID, number: parts.count + 1, file: file,
                                                 offset: offset, length: length)
                parts.append((parts.count + 1, etag))
                offset += length
            }
            try bucket.completeMultipartUpload(key: key, uploadID: uploadID, parts: parts)
        } catch {
            // The upload's own failure is what the caller needs; an abort failure changes nothing for it.
            try? bucket.abortMultipartUpload(key: key, uploadID: uploadID)
            throw error
        }
    }

    /// Downloads beside the target and renames into place: no half-written file is ever seen.
    public func download(key: String, to file: URL) throws {
        try BlobKeys.check(key)
        let partial = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(UUID().uuidString).part")
        defer {
            // Gone after the rename; removing it only matters when the download failed.
            try? FileManager.default.removeItem(at: partial)
        }
        do {
            try bucket.getObject(key: key, to: partial)
        } catch let error as AWSError where error.code == "NoSuchKey" || error.status == 404 {
            throw GalleryError.notFound
        } catch {
            throw error.asGalleryError
        }
        guard rename(partial.path, file.path) == 0 else {
            throw GalleryError.unavailable("s3 GetObject: cannot move the download into place: \(String(cString: strerror(errno)))")
        }
    }

    public func delete(keys: [String]) throws {
        for key in keys { try BlobKeys.check(key) }
        guard !keys.isEmpty else { return }
        try call { try bucket.deleteObjects(keys) }
    }

    /// A presigned GET URL. Browsers fetch images from S3 directly, so neither the responder
    /// nor nginx carries their bytes, nginx needs no AWS credentials, and private images stay
    /// private (a URL works for `urlLifetime` at most). URLs are signed at the start of the
    /// current half-lifetime window, so within a window every page view gets the same URL and
    /// browsers can cache the image (`response-cache-control`).
    public func delivery(key: String, contentType: String, downloadName: String?) throws -> BlobDelivery {
        try BlobKeys.check(key)
        let window = urlLifetime / 2
        let signedAt = Date(timeIntervalSince1970: (now().timeIntervalSince1970 / window).rounded(.down) * window)
        var query: [(String, String)] = [
            ("response-cache-control", "private, max-age=\(Int(window))"),
            ("response-content-type", contentType),
        ]
        if let downloadName { query.append(("response-content-disposition", Self.attachment(downloadName))) }
        return .redirect(try call { try bucket.presignedGet(key: key, query: query, expires: Int(urlLifetime), date: signedAt) })
    }

    /// S3 keeps nothing of an unfinished write: an interrupted PUT stores nothing, and an
    /// unfinished multipart upload is invisible and aborted after a day by the bucket's
    /// lifecycle rule (`gallery setup`). So there is nothing to remove here.
    public func removeAbandonedWrites(startedBefore cutoff: Date, dryRun: Bool) throws -> [String] { [] }

    /// The objects under `prefix`, a page at a time, as S3 describes them (`list` is the
    /// seam's view of this, used by `gallery blobs sweep`).
    public func objects(prefix: String, continuation: String? = nil, limit: Int = 1000) throws -> (objects: [S3Object], next: String?) {
        let limit = try PageSize.checked(limit)
        return try call { try bucket.listObjects(prefix: prefix, continuation: continuation, maxKeys: limit) }
    }

    /// ListObjectsV2: keys in byte order, the continuation token as the cursor. Multipart
    /// uploads in progress are not objects yet, so they are not listed.
    public func list(prefix: String, cursor: String?, limit: Int) throws -> Page<BlobInfo> {
        // A prefix is good when some key could start with it (the file store's rule).
        if !prefix.isEmpty { try BlobKeys.check(prefix + "x") }
        let page = try objects(prefix: prefix, continuation: cursor, limit: limit)
        return Page(items: page.objects.map { BlobInfo(key: $0.key, byteSize: $0.size, modifiedAt: $0.lastModified) },
                    next: page.next)
    }

    /// RFC 6266: an ASCII fallback name and the UTF-8 name.
    static func attachment(_ name: String) -> String {
        let fallback = String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(SigV4Signer.encode(name, keepSlash: false))"
    }

    private func call<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw error.asGalleryError
        }
    }
}

