import Foundation
import GalleryCore
import GalleryCrypto
import ImageInspection

/// Uploads: the body streams from nginx through the multipart parser into temporary files
/// (hashed on the way), every file is checked by content, then each is stored, recorded and
/// queued. Either every new file of the request is accepted or nothing is left behind.
extension GalleryApp {
    func uploadPage(_ c: Context, errors: [String] = [], status: Int = 200) throws -> Response {
        let user = try c.requireUser()
        return c.page("upload", status: status, title: "Upload photos", [
            "errors": errors,
            "hasErrors": !errors.isEmpty,
            "maxMB": config.maxUploadBytes / (1024 * 1024),
            "maxFiles": config.maxFilesPerUpload,
            "visibilityOptions": Self.visibilityOptions(user.defaultVisibility),
        ])
    }

    var multipartLimits: MultipartLimits {
        MultipartLimits(maxFileBytes: config.maxUploadBytes, maxFiles: config.maxFilesPerUpload,
                        maxFieldBytes: 16 * 1024, maxFields: 32, maxPartHeaderBytes: 8 * 1024,
                        maxTotalBytes: config.maxRequestBytes)
    }

    /// A checked upload: the files are images we accept, within the limits.
    struct Received {
        var fields: FormFields
        var images: [(file: UploadedFile, info: ImageHeaderInfo)]
    }

    func upload(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        return try receive(c) { received in
            try storeUpload(c, user: user, received)
        }
    }

    /// Streams the body into temporary files, checks the CSRF token and every file, and runs
    /// `body` with the result; the temporary files are gone when it returns. Refused files are
    /// answered by `rejected` (the upload page again, unless the caller answers otherwise).
    func receive(_ c: Context, rejected: (([String], Int) throws -> Response)? = nil,
                 body: (Received) throws -> Response) throws -> Response {
        let rejected = rejected ?? { problems, status in try self.uploadPage(c, errors: problems, status: status) }
        if let length = c.request.contentLength, length > config.maxRequestBytes {
            throw ParseError.tooLarge("An upload may be at most \(config.maxRequestBytes / (1024 * 1024)) MB in all.")
        }
        let parser = try MultipartParser(boundary: MultipartParser.boundary(fromContentType: c.request.contentType),
                                         limits: multipartLimits, temporaryDirectory: config.temporaryDirectory)
        let parsed: (fields: FormFields, files: [UploadedFile])
        do {
            try readBody(c.request, into: parser)
            parsed = try parser.finish()
        } catch {
            parser.discard()
            throw error
        }
        defer { for file in parsed.files { try? FileManager.default.removeItem(at: file.file) } }  // temp files only
        try c.checkCSRF(parsed.fields)
        guard !parsed.files.isEmpty else {
            return try rejected(["Choose at least one photo."], 400)
        }
        var images: [(UploadedFile, ImageHeaderInfo)] = []
        var problems: [String] = []
        for file in parsed.files {
            switch inspect(file) {
            case .success(let info): images.append((file, info))
            case .failure(let message): problems.append("\(file.filename.isEmpty ? "A file" : file.filename): \(message)")
            }
        }
        guard problems.isEmpty else {
            return try rejected(problems, 422)
        }
        return try body(Received(fields: parsed.fields, images: images))
    }

    private func storeUpload(_ c: Context, user: Profile, _ received: Received) throws -> Response {
        let encrypt = received.fields.first("encrypt") == "1"
        let visibility = encrypt ? .private
            : try Field.visibility(received.fields.first("visibility"), fallback: user.defaultVisibility)

        // The same bytes twice (already stored, or twice in this request) are reported, not stored.
        var fresh: [(file: UploadedFile, info: ImageHeaderInfo)] = []
        var duplicates: [[String: Any]] = []
        for item in received.images {
            if let existing = try services.catalog.image(ownerID: user.userID, sha256: item.file.sha256) {
                duplicates.append(["name": item.file.filename, "link": "/images/\(existing.id)",
                                   "existing": existing.title.isEmpty ? existing.originalFilename : existing.title])
            } else if fresh.contains(where: { $0.file.sha256 == item.file.sha256 }) {
                duplicates.append(["name": item.file.filename, "link": "", "existing": "another file of this upload"])
            } else {
                fresh.append(item)
            }
        }
        try checkQuota(user, adding: fresh.map(\.file))

        var stored: [(image: ImageRecord, key: String?)] = []
        do {
            for (file, info) in fresh {
                if encrypt {
                    stored.append(try storeEncrypted(file, info: info, owner: user))
                } else {
                    stored.append((try store(file, info: info, owner: user, visibility: visibility), nil))
                }
            }
        } catch {
            for item in stored { undo(item.image) }
            throw error
        }
        logger.info("user \(user.userID) uploaded \(stored.count) image(s), \(duplicates.count) duplicate(s)")
        if !encrypt && duplicates.isEmpty { return .redirect("/gallery") }
        return c.page("upload-result", title: encrypt ? "Your keys" : "Uploaded", [
            "encrypted": encrypt,
            "stored": stored.map { item -> [String: Any] in
                ["name": item.image.originalFilename, "link": "/images/\(item.image.id)", "key": item.key as Any]
            },
            "hasStored": !stored.isEmpty,
            "duplicates": duplicates,
            "hasDuplicates": !duplicates.isEmpty,
        ])
    }

    func checkQuota(_ user: Profile, adding files: [UploadedFile]) throws {
        let usage = try services.catalog.usage(ownerID: user.userID)
        let bytes = files.reduce(0) { $0 + $1.byteSize }
        if usage.images + files.count > config.quotaImages {
            throw GalleryError.tooLarge("Your gallery may hold \(config.quotaImages) photos; you have \(usage.images). Nothing was uploaded.")
        }
        if usage.bytes + bytes > config.quotaBytes {
            throw GalleryError.tooLarge("Your gallery may hold \(Formatting.bytes(config.quotaBytes)); you use \(Formatting.bytes(usage.bytes)) and this upload is \(Formatting.bytes(bytes)). Nothing was uploaded.")
        }
    }

    private func readBody(_ request: Request, into parser: MultipartParser) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let n = request.body.read(into: buffer)
            if n == 0 { break }
            total += n
            try parser.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        if let expected = request.contentLength, total < expected {
            throw ParseError.malformed("The upload was cut off before it ended. Try again.")
        }
    }

    private enum Inspection { case success(ImageHeaderInfo), failure(String) }

    /// Type from magic bytes only; dimensions from the header, before anything decodes it.
    private func inspect(_ file: UploadedFile) -> Inspection {
        switch ImageSniffer.sniff(file.head) {
        case .supported:
            break
        case .unsupported(let kind):
            return .failure("\(kind) files are not supported. Upload JPEG, PNG, GIF or WebP.")
        case .unknown:
            return .failure("this is not an image we can read. Upload JPEG, PNG, GIF or WebP.")
        }
        let info: ImageHeaderInfo
        do {
            info = try ImageHeader.read(file: file.file)
        } catch GalleryError.invalid(let message) {
            return .failure(message)
        } catch {
            return .failure("the image header could not be read.")
        }
        if info.width * info.height > config.maxPixels {
            return .failure("\(info.width)×\(info.height) is more than \(config.maxPixels / 1_000_000) megapixels.")
        }
        return .success(info)
    }

    /// Originals are spread over 256 folders by the id's last (random) characters; the first
    /// ones are a timestamp and would put years of uploads in one folder.
    private func newImage(_ file: UploadedFile, info: ImageHeaderInfo, owner: Profile, key: (String) -> String,
                          status: ImageStatus, visibility: Visibility, encrypted: Bool) -> ImageRecord {
        let now = Date()
        let id = Identifiers.make(now: now)
        return ImageRecord(id: id, ownerID: owner.userID, ownerUsername: owner.username,
                           status: status, visibility: visibility, format: info.format,
                           originalFilename: file.filename.isEmpty ? "photo.\(info.format.fileExtension)" : file.filename,
                           byteSize: file.byteSize, width: info.width, height: info.height,
                           sha256: file.sha256, originalKey: key(id), createdAt: now, encrypted: encrypted)
    }

    func store(_ file: UploadedFile, info: ImageHeaderInfo, owner: Profile, visibility: Visibility,
               title: String = "") throws -> ImageRecord {
        var image = newImage(file, info: info, owner: owner, key: { "originals/\($0.suffix(2))/\($0).\(info.format.fileExtension)" },
                             status: .processing, visibility: visibility, encrypted: false)
        image.title = title
        try persist(image, file: file.file, contentType: info.format.mimeType)
        do {
            try services.jobs.enqueue(imageID: image.id, kind: .thumbnails, availableAt: image.createdAt)
        } catch {
            undo(image)
            throw error
        }
        return image
    }

    /// "Encrypt with a key only I keep": the original is stored as a Fernet token under a new
    /// key that is shown once and kept nowhere. No thumbnails (the server cannot see it).
    private func storeEncrypted(_ file: UploadedFile, info: ImageHeaderInfo, owner: Profile) throws -> (ImageRecord, String) {
        let key = Fernet.generateKey()
        let image = newImage(file, info: info, owner: owner, key: { "originals/\($0.suffix(2))/\($0).fernet" },
                             status: .ready, visibility: .private, encrypted: true)
        let token = config.temporaryDirectory.appendingPathComponent("\(image.id).fernet")
        defer { try? FileManager.default.removeItem(at: token) }  // a temp file
        try Fernet.encrypt(file: file.file, to: token, key: key)
        try persist(image, file: token, contentType: "application/octet-stream")
        return (image, key)
    }

    /// The original's bytes, then its record; a record that fails takes the bytes back with it.
    private func persist(_ image: ImageRecord, file: URL, contentType: String) throws {
        try services.blobs.put(key: image.originalKey, file: file, contentType: contentType)
        do {
            try services.metadata.putImage(image)
        } catch {
            try? services.blobs.delete(keys: [image.originalKey])  // best effort; the original error is what matters
            throw error
        }
    }

    /// Removes what `store` wrote for an image of a request that failed later.
    private func undo(_ image: ImageRecord) {
        do {
            try services.metadata.deleteImage(id: image.id)
            try services.blobs.delete(keys: [image.originalKey])
        } catch {
            logger.error("could not undo upload of image \(image.id): \(error)")
        }
    }

    /// The profile picture: one photo, stored like any (private, thumbnailed by the worker).
    func uploadAvatar(_ c: Context) throws -> Response {
        var user = try c.requireUser()
        return try receive(c) { received in
            guard received.images.count == 1, let (file, info) = received.images.first else {
                throw GalleryError.invalid("Choose one photo for your picture.")
            }
            try checkQuota(user, adding: [file])
            let image = try store(file, info: info, owner: user, visibility: .private, title: "Profile picture")
            user.avatarImageID = image.id
            try services.catalog.updateProfileDetails(user)
            return .redirect("/profile?done=avatar")
        }
    }

    /// Opens an encrypted photo with the key its owner pasted. The plaintext is sent by the
    /// responder itself (it exists only for this response) and never stored.
    func decryptImage(_ c: Context, id: String) throws -> Response {
        let (_, image) = try ownImage(c, id: id)
        let key = (try c.form().first("key") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard image.encrypted else { throw GalleryError.notFound }
        let token = config.temporaryDirectory.appendingPathComponent("\(image.id)-\(UUID().uuidString).fernet")
        let plain = config.temporaryDirectory.appendingPathComponent("\(image.id)-\(UUID().uuidString).plain")
        defer {
            try? FileManager.default.removeItem(at: token)  // temp files
            try? FileManager.default.removeItem(at: plain)
        }
        try services.blobs.download(key: image.originalKey, to: token)
        do {
            try Fernet.decrypt(file: token, to: plain, key: key)
        } catch is FernetError {
            throw PageError(status: 400, title: "Wrong key",
                            message: "That key does not open this photo. Paste the whole key you were shown at upload.")
        }
        return Response(status: 200, headers: [
            ("Content-Type", image.format.mimeType),
            ("Content-Disposition", Self.attachment(Self.downloadName(image))),
            ("Cache-Control", "no-store"),
        ], body: [UInt8](try Data(contentsOf: plain)))
    }
}
