import Foundation
import GalleryCore
import GalleryHTTP
import GalleryUseCases

/// The public feed, the owner's gallery, a photo's page and what its owner does to it.
struct PhotoPages {
    let app: UseCases
    let config: Configuration

    func feedPage(_ c: Context) throws -> Response {
        let page = try app.listings.feed(cursor: c.request.query.first("cursor"), limit: config.pageSize)
        return c.page("feed", title: "Recent photos", [
            "images": page.items.map(ImageView.tile),
            "empty": page.items.isEmpty,
            "next": page.next.map { "/?cursor=" + PageParts.queryEscape($0) } as Any,
        ])
    }

    func galleryPage(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let encryptedOnly = c.request.query.first("encrypted") == "1"
        let cursor = c.request.query.first("cursor")
        let page = try app.listings.gallery(of: user, encryptedOnly: encryptedOnly, cursor: cursor, limit: config.pageSize)
        let albums = try app.listings.albums(of: user, cursor: nil, limit: 100).items
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
            "next": page.next.map { "/gallery?\(encryptedOnly ? "encrypted=1&" : "")cursor=" + PageParts.queryEscape($0) } as Any,
        ])
    }

    func imagePage(_ c: Context, id: String) throws -> Response {
        let image = try app.access.visibleImage(id: id, viewer: c.user)
        return try details(c, image, address: .direct(image.id))
    }

    func sharedImagePage(_ c: Context, token: String) throws -> Response {
        try details(c, try app.access.sharedImage(token: token), address: ImageView.Address(page: "/s/\(token)", media: "/s/\(token)"))
    }

    func sharedAlbumImagePage(_ c: Context, token: String, id: String) throws -> Response {
        let image = try app.access.sharedAlbumImage(token: token, id: id)
        let base = "/a/\(token)/images/\(image.id)"
        return try details(c, image, address: ImageView.Address(page: base, media: base))
    }

    private func details(_ c: Context, _ image: ImageRecord, address: ImageView.Address) throws -> Response {
        var data: [String: Any] = [
            "image": ImageView.details(image, viewer: c.user, owner: try app.access.owner(of: image, viewer: c.user),
                                       access: address),
            "refresh": image.status == .processing,
        ]
        if let user = c.user, user.userID == image.ownerID {
            let (containing, choices) = try app.listings.albumChoices(for: image, owner: user)
            data["inAlbums"] = containing.map { ["id": $0.id, "title": $0.title] }
            data["hasInAlbums"] = !containing.isEmpty
            data["albumChoices"] = choices.map { ["id": $0.id, "title": $0.title] }
            data["hasAlbumChoices"] = !choices.isEmpty
        }
        return c.page("image", title: image.title.isEmpty ? image.originalFilename : image.title, data)
    }

    func editImage(_ c: Context, id: String) throws -> Response {
        let image = try app.access.ownImage(id: id, owner: try c.requireUser())
        let form = try c.form()
        try app.photos.edit(image, Photos.Details(
            title: try Field.title(form.first("title")),
            description: try Field.description(form.first("description")),
            tags: try Field.tags(form.first("tags")),
            visibility: try Field.visibility(form.first("visibility"), fallback: image.visibility)))
        return .redirect("/images/\(image.id)")
    }

    func shareImage(_ c: Context, id: String) throws -> Response {
        let image = try app.access.ownImage(id: id, owner: try c.requireUser())
        try app.photos.share(image, try shareAction(try c.form()))
        return .redirect("/images/\(image.id)")
    }

    func deleteImage(_ c: Context, id: String) throws -> Response {
        let image = try app.access.ownImage(id: id, owner: try c.requireUser())
        _ = try c.form()
        try app.photos.delete(image)
        return .redirect("/gallery")
    }

    /// Opens an encrypted photo with the key its owner pasted. The plaintext is sent by the
    /// responder itself (it exists only for this response) and never stored.
    func decryptImage(_ c: Context, id: String) throws -> Response {
        let image = try app.access.ownImage(id: id, owner: try c.requireUser())
        let key = (try c.form().first("key") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let plain = config.temporaryDirectory.appendingPathComponent("\(image.id)-\(UUID().uuidString).plain")
        defer { try? FileManager.default.removeItem(at: plain) }  // a temporary file, absent if decryption failed
        try app.photos.decrypt(image, key: key, into: plain, scratch: config.temporaryDirectory)
        return Response(status: 200, headers: [
            ("Content-Type", image.format.mimeType),
            ("Content-Disposition", MediaPages.attachment(Media.downloadName(image))),
            ("Cache-Control", "no-store"),
        ], body: [UInt8](try Data(contentsOf: plain)))
    }

    /// Bulk actions on photos chosen in the gallery: add to an album, delete.
    func galleryBulk(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let form = try c.form()
        let ids = try form.all("image").map(Identifiers.checked)
        guard !ids.isEmpty else { throw GalleryError.invalid("Choose at least one photo.") }
        guard ids.count <= 200 else { throw GalleryError.invalid("Choose at most 200 photos at once.") }
        switch form.first("action") {
        case "add":
            let album = try app.albums.add(imageIDs: ids, to: form.first("album") ?? "", owner: user)
            return .redirect("/albums/\(album.id)")
        case "delete":
            try app.photos.delete(ids: ids, owner: user)
            return .redirect("/gallery")
        default:
            throw GalleryError.invalid("Choose what to do with the photos.")
        }
    }
}

/// `action=new|revoke` of a share form.
func shareAction(_ form: FormFields) throws -> Sharing.Action {
    guard let action = form.first("action").flatMap(Sharing.Action.init(rawValue:)) else {
        throw GalleryError.invalid("Unknown sharing action.")
    }
    return action
}
