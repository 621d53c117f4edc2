import Foundation
import GalleryCore

/// The bytes of a photo an address can name.
public enum MediaVariant: String, Sendable {
    case thumbnail = "thumb.webp"
    /// Twice the thumbnail's size, for `srcset` (photos processed before it have none).
    case thumbnail2x = "thumb-2x.webp"
    case preview = "preview.webp"
    case original
}

/// Which stored object answers for a photo's bytes, for a viewer already allowed to see the
/// photo (`Access`), and how the front server is to hand it over without copying it.
public struct Media: Sendable {
    let stores: Stores
    let access: Access

    /// One object to send.
    public struct Blob: Equatable, Sendable {
        public var key: String
        public var contentType: String
        /// Set for downloads (an attachment with this name).
        public var downloadName: String?
        /// See `cacheControl(_:download:)`.
        public var cacheControl: String
        public var delivery: BlobDelivery
    }

    public func blob(_ image: ImageRecord, variant: MediaVariant, viewer: Profile?) throws -> Blob {
        let key: String, contentType: String
        var downloadName: String?
        switch variant {
        case .thumbnail, .thumbnail2x, .preview:
            guard image.status == .ready, let d = image.derivatives else { throw GalleryError.notFound }
            switch variant {
            case .thumbnail: key = d.thumbnail.key
            case .thumbnail2x:
                guard let large = d.thumbnail2x else { throw GalleryError.notFound }
                key = large.key
            default: key = d.preview.key
            }
            contentType = "image/webp"
        case .original where image.encrypted:
            // The Fernet token as stored: text the owner opens with their key.
            key = image.originalKey
            contentType = "application/octet-stream"
            downloadName = Self.downloadName(image) + ".fernet"
        case .original:
            guard let download = try access.originalDownload(image, viewer: viewer) else { throw GalleryError.notFound }
            key = download.key
            contentType = image.format.mimeType
            downloadName = Self.downloadName(image)
        }
        return Blob(key: key, contentType: contentType, downloadName: downloadName,
                    cacheControl: Self.cacheControl(image, download: downloadName != nil),
                    delivery: try stores.blobs.delivery(key: key, contentType: contentType, downloadName: downloadName))
    }

    /// How long caches may keep a photo's bytes. The trade-off: a photo can be made private
    /// (or deleted, or its account removed) at any moment, and a cache keeps serving what it
    /// holds until it expires. So a shared cache (a CDN, a proxy) may keep a public photo for
    /// `sharedCacheSeconds` only (`s-maxage`, which shared caches obey instead of `max-age`):
    /// that bounds how long a photo made private stays reachable there. A browser, which
    /// already has the bytes, may keep them for a day and then asks again. Anything not public
    /// is `private` (no shared cache may store it) and is re-checked by a browser after an hour.
    public static func cacheControl(_ image: ImageRecord, download: Bool) -> String {
        guard image.visibility == .public else { return "private, max-age=3600" }
        return download ? "public, max-age=3600, s-maxage=\(sharedCacheSeconds)"
                        : "public, max-age=86400, s-maxage=\(sharedCacheSeconds)"
    }

    /// How stale a shared cache's copy of a public photo may be (README: "Behind a CDN").
    public static let sharedCacheSeconds = 60

    /// The name offered for a download: the uploaded name's stem, restricted to safe
    /// characters, with the extension of the real (sniffed) format.
    public static func downloadName(_ image: ImageRecord) -> String {
        let stem = (image.originalFilename as NSString).deletingPathExtension
        let safe = String(stem.unicodeScalars.map { scalar -> Character in
            let c = Character(scalar)
            return (c.isLetter || c.isNumber || c == "-" || c == "_") && scalar.isASCII ? c : "_"
        }.prefix(80))
        return (safe.isEmpty ? "image" : safe) + "." + image.format.fileExtension
    }
}
