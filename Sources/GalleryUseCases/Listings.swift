import GalleryCore

/// The lists pages show, a cursor page at a time: the feed, a person's own photos and albums,
/// an album's photos as the viewer may see them, searches, tags and public pages.
public struct Listings: Sendable {
    let stores: Stores
    let access: Access

    public func feed(cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        try stores.metadata.publicFeed(cursor: cursor, limit: limit)
    }

    /// The owner's photos, every status and visibility; only the encrypted ones on request.
    public func gallery(of owner: Profile, encryptedOnly: Bool, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        encryptedOnly
            ? try stores.catalog.search(SearchQuery(encryptedOnly: true), scope: .owner(owner.userID), cursor: cursor, limit: limit)
            : try stores.metadata.images(ownerID: owner.userID, cursor: cursor, limit: limit)
    }

    public func albums(of owner: Profile, cursor: String?, limit: Int) throws -> Page<Album> {
        try stores.catalog.albums(scope: .owner(owner.userID), cursor: cursor, limit: limit)
    }

    /// The owner's albums holding the photo, and the others they could add it to.
    public func albumChoices(for image: ImageRecord, owner: Profile) throws -> (containing: [Album], others: [Album]) {
        let containing = try stores.catalog.albums(containing: image.id, limit: CatalogRules.maxAlbumsPerImage)
        let mine = try stores.catalog.albums(scope: .owner(owner.userID), cursor: nil, limit: 100).items
        return (containing, mine.filter { a in !containing.contains { $0.id == a.id } })
    }

    /// A page of an album's photos, as `viewer` may see them (`Access.entries`), and the
    /// album's face for them (a count only when the whole album fits this page).
    public func albumPage(_ album: Album, viewer: Profile?, shareToken: String?, cursor: String?,
                          limit: Int) throws -> (face: Access.AlbumFace, entries: [Access.AlbumEntry], next: String?) {
        let page = try stores.catalog.albumImages(albumID: album.id, cursor: cursor, limit: limit)
        let entries = access.entries(of: album, page.items, viewer: viewer, shareToken: shareToken)
        let whole = cursor == nil && page.next == nil
        return (try access.face(of: album, viewer: viewer, shareToken: shareToken, visibleCount: whole ? entries.count : nil),
                entries, page.next)
    }

    /// The owner's albums with their faces (covers, counts).
    public func albumFaces(of owner: Profile, cursor: String?, limit: Int) throws -> Page<Access.AlbumFace> {
        let page = try albums(of: owner, cursor: cursor, limit: limit)
        return Page(items: try page.items.map { try access.face(of: $0, viewer: owner, shareToken: nil) }, next: page.next)
    }

    /// `.owner` only when `viewer` is that owner; otherwise public photos.
    public func search(_ query: SearchQuery, scope: Scope, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        try stores.catalog.search(query, scope: scope, cursor: cursor, limit: limit)
    }

    /// A person's public page: their public photos and albums, as `viewer` sees them (a
    /// private cover is not shown, nor a count that includes what the viewer cannot see).
    public func publicPage(of person: Profile, viewer: Profile?, cursor: String?,
                           limit: Int) throws -> (photos: Page<ImageRecord>, albums: [Access.AlbumFace]) {
        (try stores.catalog.publicImages(ownerID: person.userID, cursor: cursor, limit: limit),
         try stores.catalog.albums(scope: .publicOf(person.userID), cursor: nil, limit: 50).items
            .map { try access.face(of: $0, viewer: viewer, shareToken: nil) })
    }
}
