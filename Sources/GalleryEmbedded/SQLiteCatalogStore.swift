import Foundation
import GalleryCore
import GalleryCrypto

/// Albums, details, search, share links, quotas and account removal in the SQLite file,
/// on the same tables as `SQLiteMetadataStore` (schema version 2, see `Schema`).
///
/// Search uses a terms table rather than FTS5 (which Debian's libsqlite3 has): the terms are
/// exactly the DynamoDB backend's (`CatalogRules`), so both backends find the same photos —
/// FTS5's tokenizer would fold accents and split tags at '-'. A search is one statement: the
/// images of the scope, newest first from the cursor, whose id has every wanted term (one
/// GROUP BY over the terms' primary key) and whose date taken is in range.
///
/// Memberships, terms, covers and avatars follow a deleted image through foreign keys; counts
/// and usage are computed from indexed rows, so they are always exact.
public final class SQLiteCatalogStore: CatalogStore {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    // MARK: Photos

    public func updateDetails(imageID: String, title: String, description: String, tags: [String],
                              visibility: Visibility) throws {
        try CatalogRules.checkDetails(title: title, description: description, tags: tags)
        try database.write { db in
            guard let image = try db.queryFirst(ImageRows.byID, [imageID], ImageRows.image) else {
                throw GalleryError.notFound
            }
            try CatalogRules.checkVisibility(visibility, encrypted: image.encrypted)
            try db.run("UPDATE images SET title = ?, description = ?, tags = ?, visibility = ? WHERE id = ?",
                       [title, description, tags.joined(separator: " "), visibility.rawValue, imageID])
            try ImageRows.reindex(db, imageID: imageID)
        }
    }

    public func setShareToken(imageID: String, token: String?) throws {
        try CatalogRules.checkShareToken(token)
        let changed = try database.read {
            try $0.run("UPDATE images SET share_token = ? WHERE id = ?", [token, imageID])
        }
        guard changed == 1 else { throw GalleryError.notFound }
    }

    /// The image whatever its visibility: the caller decides what a link may show.
    public func image(shareToken: String) throws -> ImageRecord? {
        guard Identifiers.isShareToken(shareToken) else { return nil }
        return try database.read {
            try $0.queryFirst("SELECT \(ImageRows.columns) FROM images WHERE share_token = ?", [shareToken], ImageRows.image)
        }
    }

    /// The first upload of these bytes.
    public func image(ownerID: String, sha256: String) throws -> ImageRecord? {
        try database.read {
            try $0.queryFirst("""
                SELECT \(ImageRows.columns) FROM images WHERE owner_id = ? AND sha256 = ?
                ORDER BY created_at, id LIMIT 1
                """, [ownerID, sha256], ImageRows.image)
        }
    }

    public func usage(ownerID: String) throws -> StorageUsage {
        try database.read {
            try $0.queryFirst("SELECT COALESCE(SUM(byte_size), 0), COUNT(*) FROM images WHERE owner_id = ?", [ownerID]) {
                StorageUsage(bytes: $0.int(0), images: $0.int(1))
            } ?? StorageUsage(bytes: 0, images: 0)
        }
    }

    public func search(_ query: SearchQuery, scope: Scope, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        let after = try KeysetCursor.decode(cursor)
        let limit = try PageSize.checked(limit)
        guard let terms = try CatalogRules.terms(of: query, scope: scope) else { return Page(items: [], next: nil) }
        var (filter, arguments) = Self.scopeFilter(scope)
        if !terms.isEmpty {
            filter += """
                 AND id IN (SELECT image_id FROM image_terms WHERE term IN (SELECT value FROM json_each(?))
                            GROUP BY image_id HAVING COUNT(*) = ?)
                """
            arguments += [try Self.jsonArray(terms), terms.count]
        }
        if let from = query.takenFrom {
            filter += " AND taken_at >= ?"
            arguments.append(from)
        }
        if let to = query.takenTo {
            filter += " AND taken_at <= ?"
            arguments.append(to)
        }
        return try imagePage(SQLiteMetadataStore.pageSQL(filter: filter), arguments, after: after, limit: limit)
    }

    public func publicImages(ownerID: String, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        let after = try KeysetCursor.decode(cursor)
        let limit = try PageSize.checked(limit)
        let (filter, arguments) = Self.scopeFilter(.publicOf(ownerID))
        return try imagePage(SQLiteMetadataStore.pageSQL(filter: filter), arguments, after: after, limit: limit)
    }

    private func imagePage(_ sql: String, _ arguments: [SQLiteBindable?], after: KeysetCursor,
                           limit: Int) throws -> Page<ImageRecord> {
        let rows = try database.read {
            try $0.query(sql, arguments + [after.createdAt, after.id, limit + 1], ImageRows.image)
        }
        return KeysetCursor.page(rows, limit: limit) { KeysetCursor(createdAt: $0.createdAt.milliseconds, id: $0.id) }
    }

    /// The rows of a scope, as a condition an index of `images` answers in order.
    private static func scopeFilter(_ scope: Scope) -> (String, [SQLiteBindable?]) {
        switch scope {
        case .owner(let owner): return ("owner_id = ?", [owner])
        case .everyone: return ("visibility = 'public'", [])
        case .publicOf(let owner): return ("owner_id = ? AND visibility = 'public'", [owner])
        }
    }

    private static func jsonArray(_ strings: [String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: strings), as: UTF8.self)
    }

    // MARK: Albums

    /// `.notFound` while the owner's account is being removed.
    public func createAlbum(_ album: Album) throws {
        try CatalogRules.checkAlbum(title: album.title, description: album.description)
        try CatalogRules.checkShareToken(album.shareToken)
        guard album.coverImageID == nil else { throw GalleryError.invalid("A new album has no photo to be its cover.") }
        do {
            try database.write { db in
                guard try db.queryFirst("SELECT 1 FROM profiles WHERE user_id = ? AND deleted_at IS NOT NULL",
                                        [album.ownerID], { _ in true }) != true else {
                    throw GalleryError.notFound
                }
                try db.run("""
                    INSERT INTO albums (id, owner_id, owner_username, title, description, visibility, share_token,
                                        cover_image_id, sort_order, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)
                    """, [album.id, album.ownerID, album.ownerUsername, album.title, album.description,
                          album.visibility.rawValue, album.shareToken, album.order.rawValue, album.createdAt,
                          album.updatedAt])
            }
        } catch GalleryError.conflict {
            throw GalleryError.conflict("An album with this id or share token exists.")
        }
    }

    public func album(id: String) throws -> Album? {
        try database.read { try $0.queryFirst(Self.albumByID, [id], Self.album) }
    }

    /// The album whatever its visibility: the caller decides what a link may show.
    public func album(shareToken: String) throws -> Album? {
        guard Identifiers.isShareToken(shareToken) else { return nil }
        return try database.read {
            try $0.queryFirst("SELECT \(Self.albumColumns) FROM albums WHERE share_token = ?", [shareToken], Self.album)
        }
    }

    /// The cover must be a photo of the album (`.invalid`).
    public func updateAlbum(_ album: Album) throws {
        try CatalogRules.checkAlbum(title: album.title, description: album.description)
        try CatalogRules.checkShareToken(album.shareToken)
        do {
            try database.write { db in
                guard try db.queryFirst("SELECT 1 FROM albums WHERE id = ?", [album.id], { _ in true }) == true else {
                    throw GalleryError.notFound
                }
                if let cover = album.coverImageID {
                    guard try db.queryFirst("SELECT 1 FROM album_images WHERE album_id = ? AND image_id = ?",
                                            [album.id, cover], { _ in true }) == true else {
                        throw GalleryError.invalid("The cover must be a photo of the album.")
                    }
                }
                try db.run("""
                    UPDATE albums SET title = ?, description = ?, visibility = ?, share_token = ?, cover_image_id = ?,
                        sort_order = ?, updated_at = ?
                    WHERE id = ?
                    """, [album.title, album.description, album.visibility.rawValue, album.shareToken, album.coverImageID,
                          album.order.rawValue, album.updatedAt, album.id])
            }
        } catch GalleryError.conflict {
            throw GalleryError.conflict("That share token is taken.")
        }
    }

    @discardableResult
    public func deleteAlbum(id: String) throws -> Album? {
        try database.write { db in
            guard let album = try db.queryFirst(Self.albumByID, [id], Self.album) else { return nil }
            try db.run("DELETE FROM albums WHERE id = ?", [id])  // memberships cascade
            return album
        }
    }

    public func albums(scope: Scope, cursor: String?, limit: Int) throws -> Page<Album> {
        let after = try KeysetCursor.decode(cursor)
        let limit = try PageSize.checked(limit)
        let (filter, arguments) = Self.scopeFilter(scope)
        let rows = try database.read {
            try $0.query("""
                SELECT \(Self.albumColumns) FROM albums WHERE \(filter) AND (created_at, id) < (?, ?)
                ORDER BY created_at DESC, id DESC LIMIT ?
                """, arguments + [after.createdAt, after.id, limit + 1], Self.album)
        }
        return KeysetCursor.page(rows, limit: limit) { KeysetCursor(createdAt: $0.createdAt.milliseconds, id: $0.id) }
    }

    public func addToAlbum(albumID: String, imageIDs: [String]) throws {
        let ids = try Self.checkedIDs(imageIDs)
        try database.write { db in
            guard let owner = try db.queryFirst("SELECT owner_id FROM albums WHERE id = ?", [albumID], { $0.string(0) }) else {
                throw GalleryError.notFound
            }
            let now = Date()
            for id in ids {
                // Another owner's photo is as absent as a deleted one; the throw rolls back
                // the photos added before it.
                guard try db.queryFirst("SELECT owner_id FROM images WHERE id = ?", [id], { $0.string(0) }) == owner else {
                    throw GalleryError.notFound
                }
                let added = try db.run("INSERT OR IGNORE INTO album_images (album_id, image_id, added_at) VALUES (?, ?, ?)",
                                       [albumID, id, now])
                if added == 1, try db.queryFirst("SELECT COUNT(*) FROM album_images WHERE image_id = ?", [id], { $0.int(0) })
                    ?? 0 > CatalogRules.maxAlbumsPerImage {
                    throw GalleryError.invalid("A photo can be in at most \(CatalogRules.maxAlbumsPerImage) albums.")
                }
            }
        }
    }

    public func removeFromAlbum(albumID: String, imageIDs: [String]) throws {
        let ids = try Self.checkedIDs(imageIDs)
        try database.write { db in
            guard try db.queryFirst("SELECT 1 FROM albums WHERE id = ?", [albumID], { _ in true }) == true else {
                throw GalleryError.notFound
            }
            for id in ids {
                try db.run("DELETE FROM album_images WHERE album_id = ? AND image_id = ?", [albumID, id])
            }
            try db.run("""
                UPDATE albums SET cover_image_id = NULL
                WHERE id = ? AND cover_image_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM album_images WHERE album_id = albums.id AND image_id = albums.cover_image_id)
                """, [albumID])
        }
    }

    public func albumImages(albumID: String, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        let limit = try PageSize.checked(limit)
        guard let stored = try database.read({
            try $0.queryFirst("SELECT sort_order FROM albums WHERE id = ?", [albumID]) { $0.string(0) }
        }) else {
            throw GalleryError.notFound
        }
        guard let order = Album.Order(rawValue: stored) else {
            throw GalleryError.unavailable("sqlite: album \(albumID) has an unknown order")
        }
        let members = "id IN (SELECT image_id FROM album_images WHERE album_id = ?)"
        switch order {
        case .newest:
            let after = try KeysetCursor.decode(cursor)
            return try imagePage(SQLiteMetadataStore.pageSQL(filter: members), [albumID], after: after, limit: limit)
        case .taken:
            let after = try TakenCursor.decode(cursor)
            let rows = try database.read {
                try $0.query("""
                    SELECT \(ImageRows.columns) FROM images WHERE \(members)
                      AND (taken_at IS NULL, COALESCE(taken_at, 0), created_at, id) > (?, ?, ?, ?)
                    ORDER BY taken_at IS NULL, COALESCE(taken_at, 0), created_at, id LIMIT ?
                    """, [albumID, after.missing, after.takenAt, after.createdAt, after.id, limit + 1], ImageRows.image)
            }
            guard rows.count > limit else { return Page(items: rows, next: nil) }
            let items = Array(rows.prefix(limit))
            return Page(items: items, next: TakenCursor(items[limit - 1]).encoded)
        }
    }

    public func albums(containing imageID: String, limit: Int) throws -> [Album] {
        let limit = try PageSize.checked(limit)
        return try database.read {
            try $0.query("""
                SELECT \(Self.albumColumns) FROM albums WHERE id IN (SELECT album_id FROM album_images WHERE image_id = ?)
                ORDER BY created_at DESC, id DESC LIMIT ?
                """, [imageID, limit], Self.album)
        }
    }

    /// At most 1000 ids at once, each once.
    private static func checkedIDs(_ ids: [String]) throws -> [String] {
        guard ids.count <= 1000 else { throw GalleryError.invalid("At most 1000 photos at once.") }
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }

    private static let albumColumns = """
        id, owner_id, owner_username, title, description, visibility, share_token, cover_image_id, sort_order, \
        created_at, updated_at, (SELECT COUNT(*) FROM album_images WHERE album_id = albums.id)
        """
    private static let albumByID = "SELECT \(albumColumns) FROM albums WHERE id = ?"

    private static func album(_ row: SQLiteRow) throws -> Album {
        guard let visibility = Visibility(rawValue: row.string(5)), let order = Album.Order(rawValue: row.string(8)) else {
            throw GalleryError.unavailable("sqlite: album \(row.string(0)) has an unknown visibility or order")
        }
        return Album(id: row.string(0), ownerID: row.string(1), ownerUsername: row.string(2), title: row.string(3),
                     description: row.string(4), visibility: visibility, shareToken: row.optionalString(6),
                     coverImageID: row.optionalString(7), order: order, imageCount: row.int(11),
                     createdAt: row.date(9), updatedAt: row.date(10))
    }

    // MARK: Profiles and accounts

    /// The avatar must be a photo of the user (`.invalid`).
    public func updateProfileDetails(_ p: Profile) throws {
        try CatalogRules.checkProfile(p)
        try database.write { db in
            guard try db.queryFirst("SELECT 1 FROM profiles WHERE user_id = ?", [p.userID], { _ in true }) == true else {
                throw GalleryError.notFound
            }
            if let avatar = p.avatarImageID {
                guard try db.queryFirst("SELECT owner_id FROM images WHERE id = ?", [avatar], { $0.string(0) }) == p.userID else {
                    throw GalleryError.invalid("The avatar must be one of your photos.")
                }
            }
            try db.run("""
                UPDATE profiles SET display_name = ?, bio = ?, address = ?, phone = ?, avatar_image_id = ?,
                    default_visibility = ?, share_position = ?, strip_position_for_others = ?
                WHERE user_id = ?
                """, [p.displayName, p.bio, p.address, p.phone, p.avatarImageID, p.defaultVisibility.rawValue,
                      p.sharePosition, p.stripPositionForOthers, p.userID])
        }
    }

    /// One transaction: the tombstone (the first time is kept), every session, and every photo
    /// and album made private without share links — so no page serves them from this moment.
    public func markDeleted(userID: String, at: Date) throws {
        try database.write { db in
            guard try db.run("UPDATE profiles SET deleted_at = COALESCE(deleted_at, ?) WHERE user_id = ?", [at, userID]) == 1 else {
                throw GalleryError.notFound
            }
            try db.run("DELETE FROM sessions WHERE user_id = ?", [userID])
            try db.run("UPDATE images SET visibility = 'private', share_token = NULL WHERE owner_id = ?", [userID])
            try db.run("UPDATE albums SET visibility = 'private', share_token = NULL WHERE owner_id = ?", [userID])
        }
    }

    /// `.conflict` while photos or albums of the user remain. Purging a purged user is no error.
    public func purgeProfile(userID: String) throws {
        try database.write { db in
            let left = try db.queryFirst("""
                SELECT (SELECT COUNT(*) FROM images WHERE owner_id = ?) + (SELECT COUNT(*) FROM albums WHERE owner_id = ?)
                """, [userID, userID]) { $0.int(0) } ?? 0
            guard left == 0 else { throw GalleryError.conflict("The user still has \(left) photos or albums.") }
            try db.run("DELETE FROM sessions WHERE user_id = ?", [userID])
            try db.run("DELETE FROM profiles WHERE user_id = ?", [userID])
        }
    }
}

/// The position after an image in an album ordered by date taken: (no date taken, date
/// taken, upload time, id), ascending; opaque to callers as base64url.
private struct TakenCursor {
    var missing: Bool
    var takenAt: Int64
    var createdAt: Int64
    var id: String

    init(_ image: ImageRecord) {
        let taken = image.derivatives?.metadata?.takenAt
        missing = taken == nil
        takenAt = taken?.milliseconds ?? 0
        createdAt = image.createdAt.milliseconds
        id = image.id
    }

    private init(missing: Bool, takenAt: Int64, createdAt: Int64, id: String) {
        self.missing = missing
        self.takenAt = takenAt
        self.createdAt = createdAt
        self.id = id
    }

    var encoded: String { Encoding.base64URL(Array("taken:\(missing ? 1 : 0):\(takenAt):\(createdAt):\(id)".utf8)) }

    static func decode(_ text: String?) throws -> TakenCursor {
        guard let text else { return TakenCursor(missing: false, takenAt: .min, createdAt: .min, id: "") }
        let parts = text.count <= 300 ? Encoding.base64URLDecode(text).flatMap { String(bytes: $0, encoding: .utf8) }?
            .split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false) : nil
        guard let parts, parts.count == 5, parts[0] == "taken", parts[1] == "0" || parts[1] == "1",
              let taken = Int64(parts[2]), let created = Int64(parts[3]) else {
            throw GalleryError.invalid("bad page cursor")
        }
        return TakenCursor(missing: parts[1] == "1", takenAt: taken, createdAt: created, id: String(parts[4]))
    }
}
