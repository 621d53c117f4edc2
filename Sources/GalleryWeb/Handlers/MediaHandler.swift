import Foundation
import GalleryCore

/// Image bytes. The responder authorizes and names the object; nginx sends the bytes
/// (X-Accel-Redirect to an internal location, sendfile) or the browser fetches a presigned URL.
extension GalleryApp {
    func media(_ c: Context, id: String, variant: String) throws -> Response {
        try serveMedia(try visibleImage(id: id, viewer: c.user), variant: variant, viewer: c.user)
    }

    /// The bytes of an image the caller has already authorized for `viewer`.
    func serveMedia(_ image: ImageRecord, variant: String, viewer: Profile?) throws -> Response {
        let key: String, contentType: String
        var downloadName: String?
        switch variant {
        case "thumb.webp", "thumb-2x.webp", "preview.webp":
            guard image.status == .ready, let d = image.derivatives else { throw GalleryError.notFound }
            switch variant {
            case "thumb.webp": key = d.thumbnail.key
            case "thumb-2x.webp":
                guard let large = d.thumbnail2x else { throw GalleryError.notFound }
                key = large.key
            default: key = d.preview.key
            }
            contentType = "image/webp"
        case "original" where image.encrypted:
            // The Fernet token as stored: text the owner opens with their key.
            key = image.originalKey
            contentType = "application/octet-stream"
            downloadName = Self.downloadName(image) + ".fernet"
        case "original":
            guard let download = try originalDownload(image, viewer: viewer) else { throw GalleryError.notFound }
            key = download.key
            contentType = image.format.mimeType
            downloadName = Self.downloadName(image)
        default:
            throw GalleryError.notFound
        }
        // Derivatives never change for a given id (a regenerated one overwrites identical
        // content), so they may be cached for a year; only public ones by shared caches.
        let scope = image.visibility == .public ? "public" : "private"
        let cacheControl = downloadName == nil ? "\(scope), max-age=31536000, immutable" : "\(scope), max-age=3600"
        switch try services.blobs.delivery(key: key, contentType: contentType, downloadName: downloadName) {
        case .accelRedirect(let path):
            var response = Response(status: 200, headers: [
                ("X-Accel-Redirect", path),
                ("Content-Type", contentType),
                ("Cache-Control", cacheControl),
                ("X-Content-Type-Options", "nosniff"),
            ])
            if let downloadName {
                response.addHeader("Content-Disposition", Self.attachment(downloadName))
            }
            return response
        case .redirect(let url):
            return Response(status: 302, headers: [("Location", url), ("Cache-Control", "private, max-age=60")])
        }
    }

    /// The original as `viewer` may have it (see `PositionPrivacy`); the owner's profile is
    /// read only when someone else asks.
    func originalDownload(_ image: ImageRecord, viewer: Profile?) throws -> PositionPrivacy.Download? {
        let isOwner = viewer?.userID == image.ownerID
        let owner = isOwner ? viewer : try services.metadata.profile(userID: image.ownerID)
        return PositionPrivacy.original(of: image, viewerIsOwner: isOwner, owner: owner)
    }

    /// The name offered for a download: the uploaded name's stem, restricted to safe
    /// characters, with the extension of the real (sniffed) format.
    static func downloadName(_ image: ImageRecord) -> String {
        let stem = (image.originalFilename as NSString).deletingPathExtension
        let safe = String(stem.unicodeScalars.map { scalar -> Character in
            let c = Character(scalar)
            return (c.isLetter || c.isNumber || c == "-" || c == "_") && scalar.isASCII ? c : "_"
        }.prefix(80))
        return (safe.isEmpty ? "image" : safe) + "." + image.format.fileExtension
    }

    static func attachment(_ name: String) -> String {
        "attachment; filename=\"\(name)\""
    }
}
