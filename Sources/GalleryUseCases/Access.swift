import GalleryCore

/// Who may see what. Every read of an object for someone goes through here; anything a viewer
/// may not see is `.notFound`, never "forbidden", so that ids of private things cannot be probed.
public struct Access: Sendable {
    let stores: Stores

    /// The image if `viewer` may see it directly: theirs, or public.
    public func visibleImage(id: String, viewer: Profile?) throws -> ImageRecord {
        guard let image = try stores.metadata.image(id: Identifiers.checked(id)) else { throw GalleryError.notFound }
        if image.ownerID == viewer?.userID || image.visibility == .public { return image }
        throw GalleryError.notFound
    }

    /// The owner's image, for changing it.
    public func ownImage(id: String, owner: Profile) throws -> ImageRecord {
        guard let image = try stores.metadata.image(id: Identifiers.checked(id)), image.ownerID == owner.userID else {
            throw GalleryError.notFound
        }
        return image
    }

    /// An unlisted photo by its share link.
    public func sharedImage(token: String) throws -> ImageRecord {
        guard Identifiers.isShareToken(token), let image = try stores.catalog.image(shareToken: token),
              image.visibility == .unlisted, image.shareToken == token, !image.encrypted else {
            throw GalleryError.notFound
        }
        return image
    }

    /// The owner's album, for changing it.
    public func ownAlbum(id: String, owner: Profile) throws -> Album {
        guard let album = try stores.catalog.album(id: Identifiers.checked(id)), album.ownerID == owner.userID else {
            throw GalleryError.notFound
        }
        return album
    }

    /// An album `viewer` may open by its address: theirs, or public.
    public func visibleAlbum(id: String, viewer: Profile?) throws -> Album {
        guard let album = try stores.catalog.album(id: Identifiers.checked(id)),
              album.ownerID == viewer?.userID || album.visibility == .public else { throw GalleryError.notFound }
        return album
    }

    /// An unlisted album by its share link.
    public func sharedAlbum(token: String) throws -> Album {
        guard Identifiers.isShareToken(token), let album = try stores.catalog.album(shareToken: token),
              album.visibility == .unlisted, album.shareToken == token else { throw GalleryError.notFound }
        return album
    }

    /// A photo reached through an album's share link: in that album, not private, not encrypted.
    public func sharedAlbumImage(token: String, id: String) throws -> ImageRecord {
        let album = try sharedAlbum(token: token)
        guard let image = try stores.metadata.image(id: Identifiers.checked(id)), image.ownerID == album.ownerID,
              !image.encrypted, image.visibility != .private,
              try stores.catalog.albums(containing: image.id, limit: CatalogRules.maxAlbumsPerImage)
                .contains(where: { $0.id == album.id }) else {
            throw GalleryError.notFound
        }
        return image
    }

    /// How a photo of an album is shown to someone looking at the album.
    public enum AlbumEntry: Equatable, Sendable {
        /// At its own address (the viewer owns it, or it is public).
        case direct(ImageRecord)
        /// Only through the album's link (unlisted photo, album opened by its link).
        case throughLink(ImageRecord, token: String)
    }

    /// What of an album's page of photos the viewer may see: the owner every photo; others the
    /// public ones, and visitors with the album's link also its unlisted ones. Never encrypted
    /// ones to anyone but the owner.
    public func entries(of album: Album, _ images: [ImageRecord], viewer: Profile?, shareToken: String?) -> [AlbumEntry] {
        images.compactMap { image in
            if album.ownerID == viewer?.userID { return .direct(image) }
            if image.encrypted { return nil }
            if image.visibility == .public { return .direct(image) }
            if image.visibility == .unlisted, let shareToken { return .throughLink(image, token: shareToken) }
            return nil
        }
    }

    /// What of an album's outside a viewer sees. Its cover and its count are facts about its
    /// photos, so they follow `entries`' rule: the owner sees both as stored; anyone else the
    /// cover only if they may see that photo, and a count only of what they may see
    /// (`visibleCount`, when the caller knows it), never the stored one.
    public struct AlbumFace: Sendable, Equatable {
        public var album: Album
        public var cover: AlbumEntry?
        public var imageCount: Int?
    }

    public func face(of album: Album, viewer: Profile?, shareToken: String?, visibleCount: Int? = nil) throws -> AlbumFace {
        if album.ownerID == viewer?.userID {
            let cover = try album.coverImageID.flatMap { try stores.metadata.image(id: $0) }.map(AlbumEntry.direct)
            return AlbumFace(album: album, cover: try cover ?? firstShown(of: album, viewer: viewer, shareToken: shareToken),
                             imageCount: album.imageCount)
        }
        var cover: AlbumEntry?
        if let id = album.coverImageID, let image = try stores.metadata.image(id: id), image.ownerID == album.ownerID {
            cover = entries(of: album, [image], viewer: viewer, shareToken: shareToken).first
        } else {
            cover = try firstShown(of: album, viewer: viewer, shareToken: shareToken)
        }
        return AlbumFace(album: album, cover: cover, imageCount: visibleCount)
    }

    /// Without a chosen cover, an album shows its first photo (in the album's order) that
    /// this viewer may see and that has a thumbnail, so that a new album is not a grey square.
    /// One short query per album without a chosen cover.
    private func firstShown(of album: Album, viewer: Profile?, shareToken: String?) throws -> AlbumEntry? {
        let first = try stores.catalog.albumImages(albumID: album.id, cursor: nil, limit: 12).items
            .filter { $0.status == .ready && $0.derivatives != nil }
        return entries(of: album, first, viewer: viewer, shareToken: shareToken).first
    }

    /// The profile whose position choices apply to `image` for `viewer` (read only when
    /// someone else looks).
    public func owner(of image: ImageRecord, viewer: Profile?) throws -> Profile? {
        viewer?.userID == image.ownerID ? viewer : try stores.metadata.profile(userID: image.ownerID)
    }

    /// The original as `viewer` may have it (see `PositionPrivacy`), nil when they may not.
    public func originalDownload(_ image: ImageRecord, viewer: Profile?) throws -> PositionPrivacy.Download? {
        PositionPrivacy.original(of: image, viewerIsOwner: viewer?.userID == image.ownerID,
                                 owner: try owner(of: image, viewer: viewer))
    }

    /// A person's public page: nil once the account is removed.
    public func person(username: String) throws -> Profile? {
        guard let profile = try stores.metadata.profile(username: username), profile.deletedAt == nil else { return nil }
        return profile
    }

    /// The avatar is shown wherever its owner's page is, whatever the visibility of the photo
    /// it was made from: choosing it as avatar is choosing to show it.
    public func avatarImage(username: String) throws -> ImageRecord {
        guard let profile = try person(username: username), let id = profile.avatarImageID,
              let image = try stores.metadata.image(id: id), image.ownerID == profile.userID, !image.encrypted else {
            throw GalleryError.notFound
        }
        return image
    }
}
