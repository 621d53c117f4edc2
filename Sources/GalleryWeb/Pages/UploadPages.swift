import Foundation
import GalleryCore
import GalleryHTTP
import GalleryUseCases

/// Uploads: the body streams from nginx through the multipart parser into temporary files
/// (hashed on the way); `Uploads` checks and stores them.
struct UploadPages {
    let uploads: Uploads
    let config: Configuration

    func uploadPage(_ c: Context, errors: [String] = [], status: Int = 200) throws -> Response {
        let user = try c.requireUser()
        return c.page("upload", status: status, title: "Upload photos", [
            "errors": errors,
            "hasErrors": !errors.isEmpty,
            "maxMB": config.maxUploadBytes / (1024 * 1024),
            "maxFiles": config.maxFilesPerUpload,
            "visibilityOptions": PageParts.visibilityOptions(user.defaultVisibility),
        ])
    }

    func upload(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        return try receive(c) { fields, photos in
            let encrypt = fields.first("encrypt") == "1"
            let protection: Uploads.Protection = encrypt
                ? .encrypted
                : .plain(try Field.visibility(fields.first("visibility"), fallback: user.defaultVisibility))
            let outcome = try uploads.store(photos, owner: user, protection: protection)
            c.upload?.stored = outcome.stored.map(\.image.byteSize)
            if !encrypt && outcome.duplicates.isEmpty { return .redirect("/gallery") }
            return c.page("upload-result", title: encrypt ? "Your keys" : "Uploaded", [
                "encrypted": encrypt,
                "stored": outcome.stored.map { item -> [String: Any] in
                    ["name": item.image.originalFilename, "link": "/images/\(item.image.id)", "key": item.key as Any]
                },
                "hasStored": !outcome.stored.isEmpty,
                "duplicates": outcome.duplicates.map { d -> [String: Any] in
                    guard let existing = d.existing else {
                        return ["name": d.filename, "link": "", "existing": "another file of this upload"]
                    }
                    return ["name": d.filename, "link": "/images/\(existing.id)",
                            "existing": existing.title.isEmpty ? existing.originalFilename : existing.title]
                },
                "hasDuplicates": !outcome.duplicates.isEmpty,
            ])
        }
    }

    /// The profile picture: one photo.
    func uploadAvatar(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        return try receive(c) { _, photos in
            guard photos.count == 1, let photo = photos.first else {
                throw GalleryError.invalid("Choose one photo for your picture.")
            }
            _ = try uploads.setAvatar(photo, owner: user)
            return .redirect("/profile?done=avatar")
        }
    }

    private var limits: MultipartLimits {
        MultipartLimits(maxFileBytes: config.maxUploadBytes, maxFiles: config.maxFilesPerUpload,
                        maxFieldBytes: 16 * 1024, maxFields: 32, maxPartHeaderBytes: 8 * 1024,
                        maxTotalBytes: config.maxRequestBytes)
    }

    /// Streams the body into temporary files, checks the CSRF token and every file, and runs
    /// `body` with the photos; the temporary files are gone when it returns.
    private func receive(_ c: Context, body: (FormFields, [CheckedPhoto]) throws -> Response) throws -> Response {
        if let length = c.request.contentLength, length > config.maxRequestBytes {
            throw ParseError.tooLarge("An upload may be at most \(config.maxRequestBytes / (1024 * 1024)) MB in all.")
        }
        let parser = try MultipartParser(boundary: MultipartParser.boundary(fromContentType: c.request.contentType),
                                         limits: limits, temporaryDirectory: config.temporaryDirectory)
        let parsed: (fields: FormFields, files: [UploadedFile])
        do {
            try readBody(c.request, into: parser)
            parsed = try parser.finish()
        } catch {
            parser.discard()
            throw error
        }
        defer { for file in parsed.files { try? FileManager.default.removeItem(at: file.file) } }  // temp files only
        c.upload = UploadTally(received: parsed.files.map(\.byteSize))
        try c.checkCSRF(parsed.fields)
        guard !parsed.files.isEmpty else {
            return try uploadPage(c, errors: ["Choose at least one photo."], status: 400)
        }
        var photos: [CheckedPhoto] = []
        var problems: [String] = []
        for file in parsed.files {
            let incoming = IncomingFile(filename: file.filename, file: file.file, byteSize: file.byteSize,
                                        sha256: file.sha256, head: file.head)
            switch uploads.check(incoming) {
            case .success(let photo): photos.append(photo)
            case .failure(let refusal): problems.append(refusal.message)
            }
        }
        guard problems.isEmpty else {
            return try uploadPage(c, errors: problems, status: 422)
        }
        return try body(parsed.fields, photos)
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
}
