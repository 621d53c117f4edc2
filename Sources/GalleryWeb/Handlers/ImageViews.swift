import Foundation
import GalleryCore

/// How an image appears in pages. Built per render; values are escaped by Mustache, or by
/// `HTMLWriter` for the tiles.
enum ImageView {
    /// Where a viewer reaches an image's page and bytes: directly, or through a share link
    /// (of the image, or of an album holding it).
    struct Access {
        var page: String
        var media: String
        static func direct(_ id: String) -> Access { Access(page: "/images/\(id)", media: "/media/\(id)") }
    }

    static func tile(_ image: ImageRecord) -> Tile { tile(image, access: .direct(image.id)) }

    static func tile(_ image: ImageRecord, access: Access) -> Tile {
        Tile(id: image.id, link: access.page, media: access.media, owner: image.ownerUsername,
             name: image.title.isEmpty ? image.originalFilename : image.title, status: image.status,
             encrypted: image.encrypted, createdAt: image.createdAt,
             thumbnail: image.derivatives.map { ($0.thumbnail.width, $0.thumbnail.height) },
             placeholder: image.derivatives?.placeholder.flatMap(SafeDataURL.init),
             takenAt: image.derivatives?.metadata?.takenAt, hasThumbnail2x: image.derivatives?.thumbnail2x != nil)
    }

    /// `owner`: the image owner's profile (their position choices).
    static func details(_ image: ImageRecord, viewer: Profile?, owner: Profile?, access: Access) -> [String: Any] {
        let isOwner = viewer?.userID == image.ownerID
        var view = tile(image, access: access).fields
        view["isOwner"] = isOwner
        view["filename"] = image.originalFilename
        view["title"] = image.title
        view["description"] = image.description
        view["tags"] = image.tags.map { ["tag": $0] }
        view["hasTags"] = !image.tags.isEmpty
        view["tagText"] = image.tags.joined(separator: " ")
        view["status"] = image.status.rawValue
        view["format"] = image.format.rawValue.uppercased()
        view["size"] = Formatting.bytes(image.byteSize)
        view["width"] = image.width
        view["height"] = image.height
        view["visibility"] = image.visibility.rawValue
        view["visibilityOptions"] = Visibility.allCases.map {
            ["value": $0.rawValue, "label": label($0), "selected": $0 == image.visibility]
        }
        if isOwner, let token = image.shareToken { view["shareLink"] = "/s/\(token)" }
        if let reason = image.failureReason { view["failureReason"] = reason }
        if let d = image.derivatives {
            view["previewWidth"] = d.preview.width
            view["previewHeight"] = d.preview.height
            if let m = d.metadata {
                view["exif"] = exif(m, position: PositionPrivacy.positionLabel(viewerIsOwner: isOwner, owner: owner))
            }
        }
        switch PositionPrivacy.original(of: image, viewerIsOwner: isOwner, owner: owner) {
        case .asUploaded?: view["original"] = ["withoutPosition": false]
        case .withoutPosition?: view["original"] = ["withoutPosition": true]
        case nil: break
        }
        return view
    }

    static func label(_ visibility: Visibility) -> String {
        switch visibility {
        case .public: return "Everyone (in Recent)"
        case .unlisted: return "Anyone with the link"
        case .private: return "Only me"
        }
    }

    /// The camera facts, and the position under the label `position` if it is shown at all
    /// (the caller asks `PositionPrivacy`: a position tells where someone was).
    static func exif(_ m: PhotoMetadata, position: String?) -> [String: Any]? {
        var facts: [[String: String]] = []
        func add(_ name: String, _ value: String?) { if let value, !value.isEmpty { facts.append(["name": name, "value": value]) } }
        let camera = [m.cameraMake, m.cameraModel].compactMap { $0 }.joined(separator: " ")
        add("Camera", camera)
        add("Lens", m.lens)
        add("Exposure", m.exposureTime.map { "\($0) s" })
        add("Aperture", m.fNumber.map { String(format: "f/%.1f", $0) })
        add("ISO", m.iso.map(String.init))
        add("Focal length", m.focalLength.map { String(format: "%.0f mm", $0) })
        add("Taken", m.takenAt.map(Formatting.timestamp))
        var map: [String: Any]?
        if let position, let lat = m.latitude, let lon = m.longitude {
            add(position, String(format: "%.5f, %.5f", lat, lon))
            map = ["url": String(format: "https://www.openstreetmap.org/?mlat=%.5f&mlon=%.5f#map=15/%.5f/%.5f", lat, lon, lat, lon)]
        }
        guard !facts.isEmpty else { return nil }
        var view: [String: Any] = ["facts": facts]
        if let map { view["map"] = map }
        return view
    }
}

/// The public feed, the owner's gallery and an image's page.
extension GalleryApp {
    func feedPage(_ c: Context) throws -> Response {
        let page = try services.metadata.publicFeed(cursor: c.request.query.first("cursor"), limit: config.pageSize)
        return c.page("feed", title: "Recent photos", [
            "images": page.items.map(ImageView.tile),
            "empty": page.items.isEmpty,
            "next": page.next.map { "/?cursor=" + Self.queryEscape($0) } as Any,
        ])
    }

    func galleryPage(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let encryptedOnly = c.request.query.first("encrypted") == "1"
        let cursor = c.request.query.first("cursor")
        let page = encryptedOnly
            ? try services.catalog.search(SearchQuery(encryptedOnly: true), scope: .owner(user.userID), cursor: cursor,
                                          limit: config.pageSize)
            : try services.metadata.images(ownerID: user.userID, cursor: cursor, limit: config.pageSize)
        let albums = try services.catalog.albums(scope: .owner(user.userID), cursor: nil, limit: 100).items
        return c.page("gallery", title: "Your photos", [
            "images": page.items.map { image -> Tile in
                var tile = ImageView.tile(image)
                tile.selectable = true
                return tile
            },
            "empty": page.items.isEmpty,
            "albums": albums.map { ["id": $0.id, "title": $0.title] },
            "hasAlbums": !albums.isEmpty,
            // Reload by itself while a thumbnail is being made (no script needed).
            "refresh": page.items.contains { $0.status == .processing },
            "encryptedOnly": encryptedOnly,
            "next": page.next.map { "/gallery?\(encryptedOnly ? "encrypted=1&" : "")cursor=" + Self.queryEscape($0) } as Any,
        ])
    }

    func imagePage(_ c: Context, id: String) throws -> Response {
        let image = try visibleImage(id: id, viewer: c.user)
        return try imageDetailsPage(c, image, access: .direct(image.id))
    }

    func deleteImage(_ c: Context, id: String) throws -> Response {
        let (_, image) = try ownImage(c, id: id)
        _ = try c.form()
        try removeImage(image)
        return .redirect("/gallery")
    }

    /// Metadata first: from that moment nobody is served the image; then the bytes.
    func removeImage(_ image: ImageRecord) throws {
        guard let removed = try services.metadata.deleteImage(id: image.id) else { return }
        let keys = [removed.originalKey] + (removed.derivatives?.blobKeys ?? [])
        do {
            try services.blobs.delete(keys: keys)
        } catch {
            // The record is gone, so the blobs are unreachable; `gallery blobs sweep` removes
            // such orphans. The user's delete did succeed.
            logger.error("image \(image.id) deleted but its blobs were not: \(error); keys: \(keys)")
        }
    }

    /// The image if the viewer may see it; otherwise `.notFound`, never "forbidden", so that
    /// ids of private images cannot be probed.
    func visibleImage(id: String, viewer: Profile?) throws -> ImageRecord {
        guard let image = try services.metadata.image(id: Self.validID(id)) else { throw GalleryError.notFound }
        if image.ownerID == viewer?.userID || image.visibility == .public { return image }
        throw GalleryError.notFound
    }

    /// Ids are ours: 32 lowercase hex characters. Anything else is not an image of ours.
    static func validID(_ id: String) throws -> String {
        guard id.utf8.count == 32, id.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw GalleryError.notFound
        }
        return id
    }
}
