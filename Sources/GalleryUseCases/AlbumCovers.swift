import GalleryCore

/// An album's picture in lists: the cover its owner chose, otherwise its first photo (in the
/// album's order, newest first by default) that this viewer may see, so that a new album is
/// not a grey square. One short query per album without a chosen cover.
extension Listings {
    public func cover(of album: Album, viewer: Profile?) throws -> String? {
        if let chosen = album.coverImageID { return chosen }
        let isOwner = viewer?.userID == album.ownerID
        let first = try stores.catalog.albumImages(albumID: album.id, cursor: nil, limit: 12).items
        return first.first { $0.status == .ready && !$0.encrypted && (isOwner || $0.visibility == .public) }?.id
    }
}
