import Foundation
import GalleryCore

/// `ImageRecord` ⇄ a row of `images`, and the image's rows in `image_terms`; shared by the
/// metadata and catalog stores, which work on the same tables.
enum ImageRows {
    static let columns = """
        id, owner_id, owner_username, status, visibility, format, original_filename, \
        byte_size, width, height, sha256, original_key, \
        thumb_key, thumb_width, thumb_height, thumb_bytes, \
        preview_key, preview_width, preview_height, preview_bytes, \
        placeholder, has_photo_metadata, \
        camera_make, camera_model, lens, exposure_time, f_number, iso, focal_length, taken_at, latitude, longitude, \
        failure_reason, created_at, \
        title, description, tags, encrypted, share_token, \
        others_original, others_original_key, others_original_bytes, \
        thumb2x_key, thumb2x_width, thumb2x_height, thumb2x_bytes
        """
    static let placeholders = Array(repeating: "?", count: 46).joined(separator: ", ")

    /// The values of `columns`, in order.
    static func arguments(_ image: ImageRecord) -> [SQLiteBindable?] {
        let d = image.derivatives
        let m = d?.metadata
        return [
            image.id, image.ownerID, image.ownerUsername, image.status.rawValue,
            image.visibility.rawValue, image.format.rawValue, image.originalFilename,
            image.byteSize, image.width, image.height, image.sha256, image.originalKey,
            d?.thumbnail.key, d?.thumbnail.width, d?.thumbnail.height, d?.thumbnail.byteSize,
            d?.preview.key, d?.preview.width, d?.preview.height, d?.preview.byteSize,
            d?.placeholder, m != nil,
            m?.cameraMake, m?.cameraModel, m?.lens, m?.exposureTime, m?.fNumber, m?.iso,
            m?.focalLength, m?.takenAt, m?.latitude, m?.longitude,
            image.failureReason, image.createdAt,
            image.title, image.description, image.tags.joined(separator: " "), image.encrypted, image.shareToken,
        ] + othersOriginal(d?.originalForOthers) + thumbnail2x(d?.thumbnail2x)
    }

    /// `thumb2x_key`, `thumb2x_width`, `thumb2x_height`, `thumb2x_bytes`.
    static func thumbnail2x(_ d: Derivative?) -> [SQLiteBindable?] {
        [d?.key, d?.width, d?.height, d?.byteSize]
    }

    /// `others_original`, `others_original_key`, `others_original_bytes`.
    static func othersOriginal(_ o: OriginalForOthers?) -> [SQLiteBindable?] {
        switch o {
        case nil: return [nil, nil, nil]
        case .original?: return ["original", nil, nil]
        case .withheld?: return ["withheld", nil, nil]
        case .copy(let key, let byteSize)?: return ["copy", key, byteSize]
        }
    }

    static func othersOriginal(_ row: SQLiteRow, at i: Int32) throws -> OriginalForOthers? {
        switch row.optionalString(i) {
        case nil: return nil
        case "original"?: return .original
        case "withheld"?: return .withheld
        case "copy"?:
            guard let key = row.optionalString(i + 1), let size = row.optionalInt(i + 2) else {
                throw GalleryError.unavailable("sqlite: image \(row.string(0)) has a copy without key or size")
            }
            return .copy(key: key, byteSize: size)
        case let other?:
            throw GalleryError.unavailable("sqlite: image \(row.string(0)) has others_original \(other)")
        }
    }

    static func image(_ row: SQLiteRow) throws -> ImageRecord {
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
                placeholder: row.optionalString(20), metadata: metadata,
                originalForOthers: try othersOriginal(row, at: 39),
                thumbnail2x: row.optionalString(42).map {
                    Derivative(key: $0, width: row.int(43), height: row.int(44), byteSize: row.int(45))
                })
        }
        return ImageRecord(
            id: row.string(0), ownerID: row.string(1), ownerUsername: row.string(2), status: status,
            visibility: visibility, format: format, originalFilename: row.string(6),
            byteSize: row.int(7), width: row.int(8), height: row.int(9), sha256: row.string(10),
            originalKey: row.string(11), derivatives: derivatives,
            failureReason: row.optionalString(32), createdAt: row.date(33),
            title: row.string(34), description: row.string(35),
            tags: row.string(36).split(separator: " ").map(String.init), encrypted: row.bool(37),
            shareToken: row.optionalString(38))
    }

    static let byID = "SELECT \(columns) FROM images WHERE id = ?"

    /// Makes the image's terms those of its current row. Call inside the write that changed it.
    static func reindex(_ db: SQLiteConnection, imageID: String) throws {
        guard let image = try db.queryFirst(byID, [imageID], image) else { return }
        try db.run("DELETE FROM image_terms WHERE image_id = ?", [imageID])
        try insertTerms(db, imageID: imageID, terms: CatalogRules.terms(of: image))
    }

    static func insertTerms(_ db: SQLiteConnection, imageID: String, terms: Set<String>) throws {
        for term in terms {
            try db.run("INSERT OR IGNORE INTO image_terms (term, image_id) VALUES (?, ?)", [term, imageID])
        }
    }
}
