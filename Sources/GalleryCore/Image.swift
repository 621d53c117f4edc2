import Foundation

/// The formats we accept, decided from magic bytes only.
public enum ImageFormat: String, CaseIterable, Sendable {
    case jpeg, png, gif, webp

    public var mimeType: String {
        switch self {
        case .jpeg: return "image/jpeg"
        case .png: return "image/png"
        case .gif: return "image/gif"
        case .webp: return "image/webp"
        }
    }

    public var fileExtension: String {
        switch self {
        case .jpeg: return "jpg"
        case .png: return "png"
        case .gif: return "gif"
        case .webp: return "webp"
        }
    }
}

public enum ImageStatus: String, Sendable {
    case processing, ready, failed
}

public enum Visibility: String, CaseIterable, Sendable {
    /// In the public feed and visible to everyone.
    case `public`
    /// Reachable only through a share link.
    case unlisted
    /// The owner only.
    case `private`
}

/// One stored derivative (thumbnail, preview, placeholder) of an image.
public struct Derivative: Equatable, Sendable {
    public var key: String
    public var width: Int
    public var height: Int
    public var byteSize: Int
    public init(key: String, width: Int, height: Int, byteSize: Int) {
        self.key = key
        self.width = width
        self.height = height
        self.byteSize = byteSize
    }
}

/// What the worker learns from EXIF. Every field is optional: most files lack some.
public struct PhotoMetadata: Equatable, Sendable {
    public var cameraMake: String?
    public var cameraModel: String?
    public var lens: String?
    public var exposureTime: String?
    public var fNumber: Double?
    public var iso: Int?
    public var focalLength: Double?
    public var takenAt: Date?
    public var latitude: Double?
    public var longitude: Double?
    public init(cameraMake: String? = nil, cameraModel: String? = nil, lens: String? = nil,
                exposureTime: String? = nil, fNumber: Double? = nil, iso: Int? = nil,
                focalLength: Double? = nil, takenAt: Date? = nil,
                latitude: Double? = nil, longitude: Double? = nil) {
        self.cameraMake = cameraMake
        self.cameraModel = cameraModel
        self.lens = lens
        self.exposureTime = exposureTime
        self.fNumber = fNumber
        self.iso = iso
        self.focalLength = focalLength
        self.takenAt = takenAt
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// What people other than the owner download as "the original" while the owner keeps
/// positions to themselves (`Profile.stripPositionForOthers`).
public enum OriginalForOthers: Equatable, Sendable {
    /// The original holds no position: it is served as it is.
    case original
    /// A copy of the original without its position (pixels untouched).
    case copy(key: String, byteSize: Int)
    /// The original's metadata could not be followed, so it is not served to others at all.
    case withheld
}

/// What the worker produced for an image.
public struct ImageDerivatives: Equatable, Sendable {
    public var thumbnail: Derivative
    public var preview: Derivative
    /// The thumbnail at twice its size, for screens of two device pixels per CSS pixel
    /// (`srcset`); nil for images processed before it existed, and when the photo is no larger
    /// than the thumbnail (nothing sharper to show).
    public var thumbnail2x: Derivative?
    /// A tiny image inlined in pages while the thumbnail loads (a data: URL), if made.
    public var placeholder: String?
    public var metadata: PhotoMetadata?
    /// nil for images processed before positions could be stripped: treated as `.withheld`
    /// until `gallery thumbnails regenerate` runs over them.
    public var originalForOthers: OriginalForOthers?
    public init(thumbnail: Derivative, preview: Derivative, placeholder: String? = nil,
                metadata: PhotoMetadata? = nil, originalForOthers: OriginalForOthers? = nil,
                thumbnail2x: Derivative? = nil) {
        self.thumbnail = thumbnail
        self.thumbnail2x = thumbnail2x
        self.preview = preview
        self.placeholder = placeholder
        self.metadata = metadata
        self.originalForOthers = originalForOthers
    }

    /// Every stored object of these derivatives (not the original).
    public var blobKeys: [String] {
        var keys = [thumbnail.key, preview.key]
        if let thumbnail2x { keys.append(thumbnail2x.key) }
        if case .copy(let key, _)? = originalForOthers { keys.append(key) }
        return keys
    }
}

/// An uploaded image and what is known of it.
public struct ImageRecord: Equatable, Sendable {
    public var id: String
    public var ownerID: String
    /// Denormalised so that feeds render without a profile lookup per image.
    public var ownerUsername: String
    public var status: ImageStatus
    public var visibility: Visibility
    public var format: ImageFormat
    /// The name the browser sent, for display only; never used as a storage key.
    public var originalFilename: String
    public var byteSize: Int
    public var width: Int
    public var height: Int
    /// Hex SHA-256 of the original's bytes.
    public var sha256: String
    public var originalKey: String
    public var derivatives: ImageDerivatives?
    public var failureReason: String?
    public var createdAt: Date
    /// What the owner says about the photo (CatalogStore.updateDetails). Empty by default.
    public var title: String
    public var description: String
    /// Normalised tags: lowercase, 1–32 characters of letters, digits, '-' and '_'.
    public var tags: [String]
    /// The original is a Fernet token under a key only the owner keeps: no derivatives, never
    /// public, `sha256` is of the plaintext.
    public var encrypted: Bool
    /// The random token of the image's share link while it is unlisted (nil: no link).
    public var shareToken: String?

    public init(id: String, ownerID: String, ownerUsername: String, status: ImageStatus,
                visibility: Visibility, format: ImageFormat, originalFilename: String,
                byteSize: Int, width: Int, height: Int, sha256: String, originalKey: String,
                derivatives: ImageDerivatives? = nil, failureReason: String? = nil, createdAt: Date,
                title: String = "", description: String = "", tags: [String] = [],
                encrypted: Bool = false, shareToken: String? = nil) {
        self.title = title
        self.description = description
        self.tags = tags
        self.encrypted = encrypted
        self.shareToken = shareToken
        self.id = id
        self.ownerID = ownerID
        self.ownerUsername = ownerUsername
        self.status = status
        self.visibility = visibility
        self.format = format
        self.originalFilename = originalFilename
        self.byteSize = byteSize
        self.width = width
        self.height = height
        self.sha256 = sha256
        self.originalKey = originalKey
        self.derivatives = derivatives
        self.failureReason = failureReason
        self.createdAt = createdAt
    }
}
