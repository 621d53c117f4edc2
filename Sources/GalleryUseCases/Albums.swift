import Foundation
import GalleryCore

/// Albums: a person's named selections of their photos, each with its own visibility.
public struct Albums: Sendable {
    let stores: Stores
    let access: Access
    let removal: ImageRemoval

    /// What the owner says about an album (already checked by `Field`).
    public struct Details: Sendable, Equatable {
        public var title: String
        public var description: String
        public var visibility: Visibility
        public var order: Album.Order?
        public init(title: String, description: String, visibility: Visibility, order: Album.Order? = nil) {
            self.title = title
            self.description = description
            self.visibility = visibility
            self.order = order
        }
    }

    public func create(_ details: Details, owner: Profile) throws -> Album {
        let now = Date()
        let album = Album(id: Identifiers.make(now: now), ownerID: owner.userID, ownerUsername: owner.username,
                          title: details.title, description: details.description, visibility: details.visibility,
                          shareToken: Sharing.token(for: details.visibility, current: nil),
                          order: details.order ?? .newest, createdAt: now, updatedAt: now)
        try stores.catalog.createAlbum(album)
        return album
    }

    public func edit(_ album: Album, _ details: Details) throws {
        var album = album
        album.title = details.title
        album.description = details.description
        album.visibility = details.visibility
        album.order = details.order ?? album.order
        album.shareToken = Sharing.token(for: details.visibility, current: album.shareToken)
        try save(album)
    }

    public func share(_ album: Album, _ action: Sharing.Action) throws {
        var album = album
        (album.visibility, album.shareToken) = Sharing.apply(action)
        try save(album)
    }

    /// The cover must be one of the owner's photos.
    public func setCover(_ album: Album, imageID: String, owner: Profile) throws {
        var album = album
        album.coverImageID = try access.ownImage(id: imageID, owner: owner).id
        try save(album)
    }

    public func add(imageIDs: [String], to albumID: String, owner: Profile) throws -> Album {
        let album = try access.ownAlbum(id: albumID, owner: owner)
        try stores.catalog.addToAlbum(albumID: album.id, imageIDs: try imageIDs.map(Identifiers.checked))
        return album
    }

    public func remove(imageIDs: [String], from album: Album) throws {
        try stores.catalog.removeFromAlbum(albumID: album.id, imageIDs: try imageIDs.map(Identifiers.checked))
    }

    /// Deletes the album; with `deletingPhotos`, every photo in it goes too.
    public func delete(_ album: Album, deletingPhotos: Bool) throws {
        if deletingPhotos {
            var cursor: String? = nil
            repeat {
                let page = try stores.catalog.albumImages(albumID: album.id, cursor: cursor, limit: 100)
                for image in page.items { try removal.remove(image) }
                cursor = page.next
            } while cursor != nil
        }
        try stores.catalog.deleteAlbum(id: album.id)
    }

    private func save(_ album: Album) throws {
        var album = album
        album.updatedAt = Date()
        try stores.catalog.updateAlbum(album)
    }
}
