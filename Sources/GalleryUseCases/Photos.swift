import Foundation
import GalleryCore
import GalleryCrypto

/// What an owner does to their photos: describe them, share them, delete them, open an
/// encrypted one.
public struct Photos: Sendable {
    let stores: Stores
    let access: Access
    let removal: ImageRemoval

    /// What the owner says about a photo (already checked by `Field`).
    public struct Details: Sendable, Equatable {
        public var title: String
        public var description: String
        public var tags: [String]
        public var visibility: Visibility
        public init(title: String, description: String, tags: [String], visibility: Visibility) {
            self.title = title
            self.description = description
            self.tags = tags
            self.visibility = visibility
        }
    }

    /// Refused: an encrypted photo can be seen by nobody but its owner.
    public struct EncryptedStaysPrivate: Error, Equatable, Sendable {}

    public func edit(_ image: ImageRecord, _ details: Details) throws {
        if image.encrypted && details.visibility != .private { throw EncryptedStaysPrivate() }
        try stores.catalog.updateDetails(imageID: image.id, title: details.title, description: details.description,
                                         tags: details.tags, visibility: details.visibility)
        let token = Sharing.token(for: details.visibility, current: image.shareToken)
        if token != image.shareToken { try stores.catalog.setShareToken(imageID: image.id, token: token) }
    }

    public func share(_ image: ImageRecord, _ action: Sharing.Action) throws {
        guard !image.encrypted else { throw GalleryError.invalid("Encrypted photos cannot be shared.") }
        let (visibility, token) = Sharing.apply(action)
        // The link goes before the photo turns private, and comes after it turns unlisted, so
        // that no instant shows a link to a photo that is not unlisted.
        if token == nil { try stores.catalog.setShareToken(imageID: image.id, token: nil) }
        if visibility != image.visibility {
            try stores.catalog.updateDetails(imageID: image.id, title: image.title, description: image.description,
                                             tags: image.tags, visibility: visibility)
        }
        if let token { try stores.catalog.setShareToken(imageID: image.id, token: token) }
    }

    public func delete(_ image: ImageRecord) throws {
        try removal.remove(image)
    }

    /// The owner's photos among `ids` (others' and unknown ids are skipped), deleted.
    public func delete(ids: [String], owner: Profile) throws {
        for id in ids {
            guard let image = try? access.ownImage(id: id, owner: owner) else { continue }
            try removal.remove(image)
        }
    }

    /// The key does not open the photo.
    public struct WrongKey: Error, Equatable, Sendable {}

    /// Decrypts an encrypted photo with the key its owner kept into `destination` (a
    /// temporary file of the caller's). The plaintext is never stored.
    public func decrypt(_ image: ImageRecord, key: String, into destination: URL, scratch: URL) throws {
        guard image.encrypted else { throw GalleryError.notFound }
        let token = scratch.appendingPathComponent("\(image.id)-\(UUID().uuidString).fernet")
        defer { try? FileManager.default.removeItem(at: token) }  // a temporary file, absent if the download failed
        try stores.blobs.download(key: image.originalKey, to: token)
        do {
            try Fernet.decrypt(file: token, to: destination, key: key)
        } catch is FernetError {
            throw WrongKey()
        }
    }
}
