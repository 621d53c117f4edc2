import Foundation

/// An album: a named, ordered view over some of its owner's photos. A photo may be in several.
public struct Album: Equatable, Sendable {
    public enum Order: String, CaseIterable, Sendable {
        /// By upload time, newest first.
        case newest
        /// By EXIF date taken, oldest first (photos without one last, by upload time).
        case taken
    }

    public var id: String
    public var ownerID: String
    public var ownerUsername: String
    public var title: String
    public var description: String
    public var visibility: Visibility
    /// The share link's token while the album is unlisted (nil: no link).
    public var shareToken: String?
    public var coverImageID: String?
    public var order: Order
    public var imageCount: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, ownerID: String, ownerUsername: String, title: String, description: String = "",
                visibility: Visibility = .public, shareToken: String? = nil, coverImageID: String? = nil,
                order: Order = .newest, imageCount: Int = 0, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.ownerID = ownerID
        self.ownerUsername = ownerUsername
        self.title = title
        self.description = description
        self.visibility = visibility
        self.shareToken = shareToken
        self.coverImageID = coverImageID
        self.order = order
        self.imageCount = imageCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One search. Every given criterion must hold (AND); an empty query matches nothing.
public struct SearchQuery: Equatable, Sendable {
    /// A normalised tag (see `ImageRecord.tags`).
    public var tag: String?
    /// Words that must all appear in the title or description (case-insensitive, whole words).
    public var words: [String]
    /// Matches camera make or model, case-insensitive, whole words (e.g. "canon", "eos").
    public var camera: String?
    /// Date taken, inclusive range; either end may be open.
    public var takenFrom: Date?
    public var takenTo: Date?
    /// Only encrypted photos (`ImageRecord.encrypted`). They are never public, so only the
    /// `.owner` scope finds any.
    public var encryptedOnly: Bool

    public init(tag: String? = nil, words: [String] = [], camera: String? = nil,
                takenFrom: Date? = nil, takenTo: Date? = nil, encryptedOnly: Bool = false) {
        self.tag = tag
        self.words = words
        self.camera = camera
        self.takenFrom = takenFrom
        self.takenTo = takenTo
        self.encryptedOnly = encryptedOnly
    }

    public var isEmpty: Bool {
        tag == nil && words.isEmpty && camera == nil && takenFrom == nil && takenTo == nil && !encryptedOnly
    }
}

/// Whose photos a search or list covers.
public enum Scope: Equatable, Sendable {
    /// One owner's photos, every visibility (the owner looking at their own).
    case owner(String)
    /// Everyone's public photos.
    case everyone
    /// One owner's public photos (their public page).
    case publicOf(String)
}

/// Bytes and photos an owner has stored, for quotas.
public struct StorageUsage: Equatable, Sendable {
    public var bytes: Int
    public var images: Int
    public init(bytes: Int, images: Int) {
        self.bytes = bytes
        self.images = images
    }
}

/// What people organise and say about their photos and themselves: titles, tags, albums,
/// share links, search, profile details, quotas and duplicates, account removal.
/// Works on the same records as `MetadataStore` (same database or tables), kept apart so
/// that each seam stays small. Same threading and error rules as the other seams; every
/// list is a cursor page.
public protocol CatalogStore: AnyObject, Sendable {
    // Photos
    /// Title ≤ 200, description ≤ 5000 characters, tags normalised and ≤ 30 (the web layer
    /// validates; stores refuse over-long values with `.invalid`). Also keeps the search
    /// index in step. Throws `.notFound` for an unknown image.
    func updateDetails(imageID: String, title: String, description: String, tags: [String],
                       visibility: Visibility) throws
    /// Sets or clears the share token of an image. Throws `.notFound`.
    func setShareToken(imageID: String, token: String?) throws
    func image(shareToken: String) throws -> ImageRecord?
    /// The owner's image with these bytes, if any (duplicate uploads).
    func image(ownerID: String, sha256: String) throws -> ImageRecord?
    func usage(ownerID: String) throws -> StorageUsage
    /// Newest first. `.owner` includes every visibility; the others public only.
    func search(_ query: SearchQuery, scope: Scope, cursor: String?, limit: Int) throws -> Page<ImageRecord>
    /// One owner's public photos, newest first (their public page). The owner's own list and
    /// the feed are `MetadataStore.images(ownerID:)` and `publicFeed`.
    func publicImages(ownerID: String, cursor: String?, limit: Int) throws -> Page<ImageRecord>

    // Albums
    /// Throws `.invalid` for a title of 0 or > 200 characters.
    func createAlbum(_ album: Album) throws
    func album(id: String) throws -> Album?
    func album(shareToken: String) throws -> Album?
    /// Replaces title, description, visibility, share token, cover and order. `.notFound`.
    func updateAlbum(_ album: Album) throws
    /// Removes the album and its memberships (not the photos). Returns it (nil if absent).
    @discardableResult
    func deleteAlbum(id: String) throws -> Album?
    /// Newest first. `.owner`: all of the owner's albums; `.publicOf`: their public ones.
    func albums(scope: Scope, cursor: String?, limit: Int) throws -> Page<Album>
    /// Adds photos (already in it: no change). Every image must belong to the album's owner,
    /// else `.notFound` and nothing changes. Keeps `imageCount` right.
    func addToAlbum(albumID: String, imageIDs: [String]) throws
    func removeFromAlbum(albumID: String, imageIDs: [String]) throws
    /// In the album's order.
    func albumImages(albumID: String, cursor: String?, limit: Int) throws -> Page<ImageRecord>
    /// The albums a photo is in (for its page; at most `limit`).
    func albums(containing imageID: String, limit: Int) throws -> [Album]

    // Profiles and accounts
    /// Replaces display name, bio, address, phone, avatar and default visibility. `.notFound`.
    func updateProfileDetails(_ profile: Profile) throws
    /// The tombstone: sets `deletedAt` and deletes every session of the user, at once.
    func markDeleted(userID: String, at: Date) throws
    /// The job's end: removes the profile (and username) for good. The photos, albums and
    /// blobs must be gone already (the job deletes them first, a page at a time).
    func purgeProfile(userID: String) throws
}
