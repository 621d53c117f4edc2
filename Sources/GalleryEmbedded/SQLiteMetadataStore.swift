import Foundation
import GalleryCore

/// Profiles, sessions and images in the SQLite file. Every lookup and every page is one
/// prepared statement: a feed page of 24 images is one indexed range scan.
public final class SQLiteMetadataStore: MetadataStore {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    // MARK: Profiles

    public func createProfile(_ p: Profile) throws {
        do {
            try database.read {
                try $0.run("INSERT INTO profiles (\(Self.profileColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                    p.userID, p.username, p.email, p.displayName, p.createdAt, p.bio, p.address, p.phone,
                    p.avatarImageID, p.defaultVisibility.rawValue, p.deletedAt, p.sharePosition, p.stripPositionForOthers,
                ])
            }
        } catch GalleryError.conflict(let message) {
            if message.contains("FOREIGN KEY") { throw GalleryError.invalid("The avatar is no photo of this user.") }
            throw GalleryError.conflict(message.contains("username") ? "That username is taken." : "That user already has a profile.")
        }
    }

    public func profile(userID: String) throws -> Profile? {
        try database.read {
            try $0.queryFirst("SELECT \(Self.profileColumns) FROM profiles WHERE user_id = ?", [userID], Self.profile)
        }
    }

    public func profile(username: String) throws -> Profile? {
        try database.read {
            try $0.queryFirst("SELECT \(Self.profileColumns) FROM profiles WHERE username = ?", [username], Self.profile)
        }
    }

    static let profileColumns = """
        user_id, username, email, display_name, created_at, bio, address, phone, avatar_image_id, \
        default_visibility, deleted_at, share_position, strip_position_for_others
        """

    static func profile(_ row: SQLiteRow) throws -> Profile {
        guard let visibility = Visibility(rawValue: row.string(9)) else {
            throw GalleryError.unavailable("sqlite: profile \(row.string(0)) has an unknown default visibility")
        }
        return Profile(userID: row.string(0), username: row.string(1), email: row.string(2),
                       displayName: row.string(3), createdAt: row.date(4), bio: row.string(5),
                       address: row.string(6), phone: row.string(7), avatarImageID: row.optionalString(8),
                       defaultVisibility: visibility, deletedAt: row.optionalDate(10),
                       sharePosition: row.bool(11), stripPositionForOthers: row.bool(12))
    }

    // MARK: Sessions

    public func createSession(_ s: SessionRecord) throws {
        try database.read {
            try $0.run("""
                INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, provider_token, device)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [s.idHash, s.userID, s.createdAt, s.lastSeenAt, s.expiresAt, s.providerToken, s.device])
        }
    }

    public func session(idHash: String) throws -> SessionRecord? {
        try database.read {
            try $0.queryFirst("SELECT \(Self.sessionColumns) FROM sessions WHERE id_hash = ?", [idHash], Self.session)
        }
    }

    public func sessions(userID: String) throws -> [SessionRecord] {
        try database.read {
            try $0.query("""
                SELECT \(Self.sessionColumns) FROM sessions WHERE user_id = ? AND expires_at > ?
                ORDER BY last_seen_at DESC
                """, [userID, Date()], Self.session)
        }
    }

    static let sessionColumns = "id_hash, user_id, created_at, last_seen_at, expires_at, provider_token, device"

    static func session(_ row: SQLiteRow) -> SessionRecord {
        SessionRecord(idHash: row.string(0), userID: row.string(1), createdAt: row.date(2),
                      lastSeenAt: row.date(3), expiresAt: row.date(4),
                      providerToken: row.optionalString(5), device: row.string(6))
    }

    /// A session deleted meanwhile (sign-out in another tab) stays deleted: no error.
    public func touchSession(idHash: String, lastSeenAt: Date) throws {
        try database.read {
            try $0.run("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", [lastSeenAt, idHash])
        }
    }

    public func deleteSession(idHash: String) throws {
        try database.read { try $0.run("DELETE FROM sessions WHERE id_hash = ?", [idHash]) }
    }

    public func deleteSessions(userID: String) throws {
        try database.read { try $0.run("DELETE FROM sessions WHERE user_id = ?", [userID]) }
    }

    // MARK: Attempt counters

    /// One upsert. Expired counters are swept by the same write, a few at a time, so the
    /// table stays as small as the live windows.
    public func countAttempt(key: String, expiresAt: Date) throws -> Int {
        let now = Date()
        return try database.write { db in
            try db.run("""
                DELETE FROM attempt_counters WHERE key IN
                    (SELECT key FROM attempt_counters WHERE expires_at <= ? ORDER BY expires_at LIMIT 16)
                """, [now])
            let count = try db.queryFirst("""
                INSERT INTO attempt_counters (key, count, expires_at) VALUES (?, 1, ?)
                ON CONFLICT (key) DO UPDATE SET count = count + 1
                RETURNING count
                """, [key, expiresAt]) { $0.int(0) }
            guard let count else { throw GalleryError.unavailable("sqlite: the attempt counter returned nothing") }
            return count
        }
    }

    // MARK: Images

    /// Also indexes its terms for search. Throws `.invalid` for details `CatalogStore` would
    /// refuse (and for a public encrypted photo), `.notFound` while the owner's account is
    /// being removed (an upload racing the confirmation must not appear in public).
    public func putImage(_ image: ImageRecord) throws {
        try database.write { try Self.insert(image, $0) }
    }

    /// The record and its search terms, inside the caller's transaction (`SQLiteImageIntake`
    /// adds the job to the same one).
    static func insert(_ image: ImageRecord, _ db: SQLiteConnection) throws {
        try CatalogRules.checkDetails(title: image.title, description: image.description, tags: image.tags)
        try CatalogRules.checkVisibility(image.visibility, encrypted: image.encrypted)
        try CatalogRules.checkShareToken(image.shareToken)
        if try db.queryFirst(Self.ownerIsDeleted, [image.ownerID], { _ in true }) == true {
            throw GalleryError.notFound
        }
        do {
            try db.run(Self.insertImage, ImageRows.arguments(image))
        } catch GalleryError.conflict {
            throw GalleryError.conflict("An image with this id exists.")
        }
        try ImageRows.insertTerms(db, imageID: image.id, terms: CatalogRules.terms(of: image))
    }

    public func image(id: String) throws -> ImageRecord? {
        try database.read {
            try $0.queryFirst(ImageRows.byID, [id], ImageRows.image)
        }
    }

    /// Also indexes the camera's words for search.
    public func markImageReady(id: String, derivatives d: ImageDerivatives) throws {
        let m = d.metadata
        try database.write { db in
            let changed = try db.run("""
                UPDATE images SET status = 'ready', failure_reason = NULL,
                    thumb_key = ?, thumb_width = ?, thumb_height = ?, thumb_bytes = ?,
                    preview_key = ?, preview_width = ?, preview_height = ?, preview_bytes = ?,
                    placeholder = ?, has_photo_metadata = ?,
                    camera_make = ?, camera_model = ?, lens = ?, exposure_time = ?, f_number = ?,
                    iso = ?, focal_length = ?, taken_at = ?, latitude = ?, longitude = ?,
                    others_original = ?, others_original_key = ?, others_original_bytes = ?,
                    thumb2x_key = ?, thumb2x_width = ?, thumb2x_height = ?, thumb2x_bytes = ?
                WHERE id = ?
                """, [
                    d.thumbnail.key, d.thumbnail.width, d.thumbnail.height, d.thumbnail.byteSize,
                    d.preview.key, d.preview.width, d.preview.height, d.preview.byteSize,
                    d.placeholder, m != nil,
                    m?.cameraMake, m?.cameraModel, m?.lens, m?.exposureTime, m?.fNumber,
                    m?.iso, m?.focalLength, m?.takenAt, m?.latitude, m?.longitude,
                ] + ImageRows.othersOriginal(d.originalForOthers) + ImageRows.thumbnail2x(d.thumbnail2x) + [id])
            guard changed == 1 else { throw GalleryError.notFound }
            try ImageRows.reindex(db, imageID: id)
        }
    }

    public func markImageProcessing(id: String) throws {
        let changed = try database.read {
            try $0.run("UPDATE images SET status = 'processing', failure_reason = NULL WHERE id = ?", [id])
        }
        guard changed == 1 else { throw GalleryError.notFound }
    }

    public func markImageFailed(id: String, reason: String) throws {
        let changed = try database.read {
            try $0.run("UPDATE images SET status = 'failed', failure_reason = ? WHERE id = ?", [reason, id])
        }
        guard changed == 1 else { throw GalleryError.notFound }
    }

    /// Foreign keys take the image out of every album and the search terms, and clear an
    /// album cover or avatar that was this image, in the same statement.
    @discardableResult
    public func deleteImage(id: String) throws -> ImageRecord? {
        try database.read {
            try $0.queryFirst("DELETE FROM images WHERE id = ? RETURNING \(ImageRows.columns)", [id], ImageRows.image)
        }
    }

    public func images(ownerID: String, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        try page(Self.ownerPage, value: ownerID, cursor: cursor, limit: limit)
    }

    public func publicFeed(cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        try page(Self.feedPage, value: Visibility.public.rawValue, cursor: cursor, limit: limit)
    }

    private func page(_ sql: String, value: String, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        let after = try KeysetCursor.decode(cursor)
        let limit = try PageSize.checked(limit)
        let rows = try database.read { try $0.query(sql, [value, after.createdAt, after.id, limit + 1], ImageRows.image) }
        return KeysetCursor.page(rows, limit: limit) { KeysetCursor(createdAt: $0.createdAt.milliseconds, id: $0.id) }
    }

    public func processingImages(createdBefore: Date, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        let limit = try PageSize.checked(limit)
        let after = cursor ?? ""
        let rows = try database.read {
            try $0.query("""
                SELECT \(ImageRows.columns) FROM images WHERE status = 'processing' AND created_at < ? AND id > ?
                ORDER BY id LIMIT ?
                """, [createdBefore, after, limit + 1], ImageRows.image)
        }
        return Page.cut(rows, limit: limit) { $0.id }
    }

    // The hot statements, built once: they key the per-connection statement cache.
    private static let insertImage = "INSERT INTO images (\(ImageRows.columns)) VALUES (\(ImageRows.placeholders))"
    private static let ownerIsDeleted = "SELECT 1 FROM profiles WHERE user_id = ? AND deleted_at IS NOT NULL"
    /// One range scan of the (filter, created_at DESC, id DESC) index; see `KeysetCursor`.
    static func pageSQL(filter: String) -> String {
        """
        SELECT \(ImageRows.columns) FROM images WHERE \(filter) AND (created_at, id) < (?, ?)
        ORDER BY created_at DESC, id DESC LIMIT ?
        """
    }
    private static let ownerPage = pageSQL(filter: "owner_id = ?")
    private static let feedPage = pageSQL(filter: "visibility = ?")
}
