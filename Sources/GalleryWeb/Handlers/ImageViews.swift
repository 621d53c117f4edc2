import Foundation
import GalleryCore

/// How an image appears in templates. Built per render; values are escaped by Mustache.
enum ImageView {
    static func tile(_ image: ImageRecord) -> [String: Any] {
        var tile: [String: Any] = [
            "id": image.id,
            "owner": image.ownerUsername,
            "name": image.originalFilename,
            "ready": image.status == .ready,
            "processing": image.status == .processing,
            "failed": image.status == .failed,
            "created": Formatting.timestamp(image.createdAt),
            "createdISO": Formatting.machineTime(image.createdAt),
        ]
        if let d = image.derivatives {
            tile["thumbWidth"] = d.thumbnail.width
            tile["thumbHeight"] = d.thumbnail.height
            if let placeholder = d.placeholder { tile["placeholder"] = placeholder }
        }
        return tile
    }

    static func details(_ image: ImageRecord, viewer: Profile?) -> [String: Any] {
        var view = tile(image)
        view["isOwner"] = viewer?.userID == image.ownerID
        view["status"] = image.status.rawValue
        view["format"] = image.format.rawValue.uppercased()
        view["size"] = Formatting.bytes(image.byteSize)
        view["width"] = image.width
        view["height"] = image.height
        view["visibility"] = image.visibility.rawValue
        if let reason = image.failureReason { view["failureReason"] = reason }
        if let d = image.derivatives {
            view["previewWidth"] = d.preview.width
            view["previewHeight"] = d.preview.height
        }
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
        let page = try services.metadata.images(ownerID: user.userID, cursor: c.request.query.first("cursor"),
                                                limit: config.pageSize)
        return c.page("gallery", title: "Your photos", [
            "images": page.items.map(ImageView.tile),
            "empty": page.items.isEmpty,
            // Reload by itself while a thumbnail is being made (no script needed).
            "refresh": page.items.contains { $0.status == .processing },
            "next": page.next.map { "/gallery?cursor=" + Self.queryEscape($0) } as Any,
        ])
    }

    func imagePage(_ c: Context, id: String) throws -> Response {
        let image = try visibleImage(id: id, viewer: c.user)
        return c.page("image", title: image.originalFilename, [
            "image": ImageView.details(image, viewer: c.user),
            "refresh": image.status == .processing,
        ])
    }

    func deleteImage(_ c: Context, id: String) throws -> Response {
        let user = try c.requireUser()
        _ = try c.form()
        guard let image = try services.metadata.image(id: Self.validID(id)), image.ownerID == user.userID else {
            throw GalleryError.notFound
        }
        // Metadata first: from this moment nobody is served the image; then the bytes.
        guard let removed = try services.metadata.deleteImage(id: image.id) else { throw GalleryError.notFound }
        var keys = [removed.originalKey]
        if let d = removed.derivatives { keys += [d.thumbnail.key, d.preview.key] }
        do {
            try services.blobs.delete(keys: keys)
        } catch {
            // The record is gone, so the blobs are unreachable; the orphans are logged by key
            // (not secret) for `gallery` to sweep. The user's delete did succeed.
            logger.error("image \(image.id) deleted but its blobs were not: \(error); keys: \(keys)")
        }
        return .redirect("/gallery")
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
