import Foundation
import GalleryCore
import ImageInspection

/// Uploads: the body streams from nginx through the multipart parser into temporary files
/// (hashed on the way), every file is checked by content, then each is stored, recorded and
/// queued. Either every file of the request is accepted or nothing is left behind.
extension GalleryApp {
    func uploadPage(_ c: Context, errors: [String] = [], status: Int = 200) throws -> Response {
        _ = try c.requireUser()
        return c.page("upload", status: status, title: "Upload photos", [
            "errors": errors,
            "hasErrors": !errors.isEmpty,
            "maxMB": config.maxUploadBytes / (1024 * 1024),
            "maxFiles": config.maxFilesPerUpload,
        ])
    }

    var multipartLimits: MultipartLimits {
        MultipartLimits(maxFileBytes: config.maxUploadBytes, maxFiles: config.maxFilesPerUpload,
                        maxFieldBytes: 16 * 1024, maxFields: 32, maxPartHeaderBytes: 8 * 1024,
                        maxTotalBytes: config.maxRequestBytes)
    }

    func upload(_ c: Context) throws -> Response {
        let user = try c.requireUser()
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
            return try uploadPage(c, errors: ["Choose at least one photo."], status: 400)
        }

        var checked: [(UploadedFile, ImageHeaderInfo)] = []
        var problems: [String] = []
        for file in parsed.files {
            switch inspect(file) {
            case .success(let info): checked.append((file, info))
            case .failure(let message): problems.append("\(file.filename.isEmpty ? "A file" : file.filename): \(message)")
            }
        }
        guard problems.isEmpty else {
            return try uploadPage(c, errors: problems, status: 422)
        }

        let visibility = Visibility(rawValue: parsed.fields.first("visibility") ?? "") ?? .public
        var stored: [ImageRecord] = []
        do {
            for (file, info) in checked {
                stored.append(try store(file, info: info, owner: user, visibility: visibility))
            }
        } catch {
            for image in stored { undo(image) }
            throw error
        }
        logger.info("user \(user.userID) uploaded \(stored.count) image(s)")
        return .redirect("/gallery")
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

    private func store(_ file: UploadedFile, info: ImageHeaderInfo, owner: Profile,
                       visibility: Visibility) throws -> ImageRecord {
        let now = Date()
        let id = Identifiers.make(now: now)
        let key = "originals/\(id.prefix(2))/\(id).\(info.format.fileExtension)"
        let image = ImageRecord(id: id, ownerID: owner.userID, ownerUsername: owner.username,
                                status: .processing, visibility: visibility, format: info.format,
                                originalFilename: file.filename.isEmpty ? "photo.\(info.format.fileExtension)" : file.filename,
                                byteSize: file.byteSize, width: info.width, height: info.height,
                                sha256: file.sha256, originalKey: key, createdAt: now)
        try services.blobs.put(key: key, file: file.file, contentType: info.format.mimeType)
        do {
            try services.metadata.putImage(image)
        } catch {
            try? services.blobs.delete(keys: [key])  // best effort; the original error is what matters
            throw error
        }
        do {
            try services.jobs.enqueue(imageID: id, kind: .thumbnails, availableAt: now)
        } catch {
            undo(image)
            throw error
        }
        return image
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
}
