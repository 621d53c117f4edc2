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

    public func createProfile(_ profile: Profile) throws {
        do {
            try database.read {
                try $0.run("""
                    INSERT INTO profiles (user_id, username, email, display_name, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """, [profile.userID, profile.username, profile.email, profile.displayName, profile.createdAt])
            }
        } catch GalleryError.conflict(let message) {
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

    public func updateProfile(userID: String, displayName: String) throws {
        let changed = try database.read {
            try $0.run("UPDATE profiles SET display_name = ? WHERE user_id = ?", [displayName, userID])
        }
        guard changed == 1 else { throw GalleryError.notFound }
    }

    private static let profileColumns = "user_id, username, email, display_name, created_at"

    private static func profile(_ row: SQLiteRow) -> Profile {
        Profile(userID: row.string(0), username: row.string(1), email: row.string(2),
                displayName: row.string(3), createdAt: row.date(4))
    }

    // MARK: Sessions

    public func createSession(_ s: SessionRecord) throws {
        try database.read {
            try $0.run("""
                INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, provider_token)
                VALUES (?, ?, ?, ?, ?, ?)
                """, [s.idHash, s.userID, s.createdAt, s.lastSeenAt, s.expiresAt, s.providerToken])
        }
    }

    public func session(idHash: String) throws -> SessionRecord? {
        try database.read {
            try $0.queryFirst("""
                SELECT id_hash, user_id, created_at, last_seen_at, expires_at, provider_token
                FROM sessions WHERE id_hash = ?
                """, [idHash]) { row in
                SessionRecord(idHash: row.string(0), userID: row.string(1), createdAt: row.date(2),
                              lastSeenAt: row.date(3), expiresAt: row.date(4),
                              providerToken: row.optionalString(5))
            }
        }
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

    // MARK: Images

    public func putImage(_ image: ImageRecord) throws {
        let d = image.derivatives
        let m = d?.metadata
        do {
            try database.read {
                try $0.run("INSERT INTO images (\(Self.imageColumns)) VALUES (\(Self.imagePlaceholders))", [
                    image.id, image.ownerID, image.ownerUsername, image.status.rawValue,
                    image.visibility.rawValue, image.format.rawValue, image.originalFilename,
                    image.byteSize, image.width, image.height, image.sha256, image.originalKey,
                    d?.thumbnail.key, d?.thumbnail.width, d?.thumbnail.height, d?.thumbnail.byteSize,
                    d?.preview.key, d?.preview.width, d?.preview.height, d?.preview.byteSize,
                    d?.placeholder, m != nil,
                    m?.cameraMake, m?.cameraModel, m?.lens, m?.exposureTime, m?.fNumber, m?.iso,
                    m?.focalLength, m?.takenAt, m?.latitude, m?.longitude,
                    image.failureReason, image.createdAt,
                ])
            }
        } catch GalleryError.conflict {
            throw GalleryError.conflict("An image with this id exists.")
        }
    }

    public func image(id: String) throws -> ImageRecord? {
        try database.read {
            try $0.queryFirst(Self.imageByID, [id], Self.image)
        }
    }

    public func markImageReady(id: String, derivatives d: ImageDerivatives) throws {
        let m = d.metadata
        let changed = try database.read {
            try $0.run("""
                UPDATE images SET status = 'ready', failure_reason = NULL,
                    thumb_key = ?, thumb_width = ?, thumb_height = ?, thumb_bytes = ?,
                    preview_key = ?, preview_width = ?, preview_height = ?, preview_bytes = ?,
                    placeholder = ?, has_photo_metadata = ?,
                    camera_make = ?, camera_model = ?, lens = ?, exposure_time = ?, f_number = ?,
                    iso = ?, focal_length = ?, taken_at = ?, latitude = ?, longitude = ?
                WHERE id = ?
                """, [
                    d.thumbnail.key, d.thumbnail.width, d.thumbnail.height, d.thumbnail.byteSize,
                    d.preview.key, d.preview.width, d.preview.height, d.preview.byteSize,
                    d.placeholder, m != nil,
                    m?.cameraMake, m?.cameraModel, m?.lens, m?.exposureTime, m?.fNumber,
                    m?.iso, m?.focalLength, m?.takenAt, m?.latitude, m?.longitude, id,
                ])
        }
        guard changed == 1 else { throw GalleryError.notFound }
    }

    public func markImageFailed(id: String, reason: String) throws {
        let changed = try database.read {
            try $0.run("UPDATE images SET status = 'failed', failure_reason = ? WHERE id = ?", [reason, id])
        }
        guard changed == 1 else { throw GalleryError.notFound }
    }

    @discardableResult
    public func deleteImage(id: String) throws -> ImageRecord? {
        try database.read {
            try $0.queryFirst("DELETE FROM images WHERE id = ? RETURNING \(Self.imageColumns)", [id], Self.image)
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
        let limit = try KeysetCursor.checkedLimit(limit)
        let rows = try database.read { try $0.query(sql, [value, after.createdAt, after.id, limit + 1], Self.image) }
        return KeysetCursor.page(rows, limit: limit) { KeysetCursor(createdAt: $0.createdAt.milliseconds, id: $0.id) }
    }

    // The hot statements, built once: they key the per-connection statement cache.
    private static let imageByID = "SELECT \(imageColumns) FROM images WHERE id = ?"
    /// One range scan of the (filter, created_at DESC, id DESC) index; see `KeysetCursor`.
    private static func pageSQL(filter: String) -> String {
        """
        SELECT \(imageColumns) FROM images WHERE \(filter) AND (created_at, id) < (?, ?)
        ORDER BY created_at DESC, id DESC LIMIT ?
        """
    }
    private static let ownerPage = pageSQL(filter: "owner_id = ?")
    private static let feedPage = pageSQL(filter: "visibility = ?")

    private static let imageColumns = """
        id, owner_id, owner_username, status, visibility, format, original_filename, \
        byte_size, width, height, sha256, original_key, \
        thumb_key, thumb_width, thumb_height, thumb_bytes, \
        preview_key, preview_width, preview_height, preview_bytes, \
        placeholder, has_photo_metadata, \
        camera_make, camera_model, lens, exposure_time, f_number, iso, focal_length, taken_at, latitude, longitude, \
        failure_reason, created_at
        """
    private static let imagePlaceholders = Array(repeating: "?", count: 34).joined(separator: ", ")

    private static func image(_ row: SQLiteRow) throws -> ImageRecord {
        guard let status = ImageStatus(rawValue: row.string(3)),
              let visibility = Visibility(rawValue: row.string(4)),
              let format = ImageFormat(rawValue: row.string(5)) else {
            throw GalleryError.unavailable("sqlite: image \(row.string(0)) has an unknown status, visibility or format")
        }
        var derivatives: ImageDerivatives?
        if let thumbKey = row.optionalString(12), let previewKey = row.optionalString(16) {
            let metadata = row.bool(21) ? PhotoMetadata(
                cameraMake: row.optionalString(22), cameraModel: row.optionalString(23),
                lens: row.optionalString(24), exposureTime: row.optionalString(25),
                fNumber: row.optionalDouble(26), iso: row.optionalInt(27),
                focalLength: row.optionalDouble(28), takenAt: row.optionalDate(29),
                latitude: row.optionalDouble(30), longitude: row.optionalDouble(31)) : nil
            derivatives = ImageDerivatives(
                thumbnail: Derivative(key: thumbKey, width: row.int(13), height: row.int(14), byteSize: row.int(15)),
                preview: Derivative(key: previewKey, width: row.int(17), height: row.int(18), byteSize: row.int(19)),
                placeholder: row.optionalString(20), metadata: metadata)
        }
        return ImageRecord(
            id: row.string(0), ownerID: row.string(1), ownerUsername: row.string(2), status: status,
            visibility: visibility, format: format, originalFilename: row.string(6),
            byteSize: row.int(7), width: row.int(8), height: row.int(9), sha256: row.string(10),
            originalKey: row.string(11), derivatives: derivatives,
            failureReason: row.optionalString(32), createdAt: row.date(33))
    }
}
