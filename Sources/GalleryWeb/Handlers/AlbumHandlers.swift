import Foundation
import GalleryCore
import GalleryCrypto

/// Albums: a person's named selections of their photos, each with its own visibility.
extension GalleryApp {
    static func albumView(_ album: Album, link: String) -> [String: Any] {
        [
            "id": album.id, "link": link, "title": album.title, "description": album.description,
            "owner": album.ownerUsername, "count": album.imageCount, "visibility": album.visibility.rawValue,
            "photoCount": Formatting.count(album.imageCount, "photo"),
            "cover": album.coverImageID as Any, "updated": Formatting.timestamp(album.updatedAt),
        ]
    }

    func albumsPage(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let page = try services.catalog.albums(scope: .owner(user.userID), cursor: c.request.query.first("cursor"),
                                               limit: config.pageSize)
        return c.page("albums", title: "Your albums", [
            "albums": try albumViews(page.items, viewer: c.user),
            "empty": page.items.isEmpty,
            "next": page.next.map { "/albums?cursor=" + Self.queryEscape($0) } as Any,
            "visibilityOptions": Self.visibilityOptions(user.defaultVisibility),
        ])
    }

    static func visibilityOptions(_ selected: Visibility) -> [[String: Any]] {
        Visibility.allCases.map { ["value": $0.rawValue, "label": ImageView.label($0), "selected": $0 == selected] }
    }

    func createAlbum(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let form = try c.form()
        let now = Date()
        let visibility = try Field.visibility(form.first("visibility"), fallback: user.defaultVisibility)
        let album = Album(id: Identifiers.make(now: now), ownerID: user.userID, ownerUsername: user.username,
                          title: try Field.line(form.first("title"), name: "The album's name", max: 200, required: true),
                          description: try Field.text(form.first("description"), name: "The description", max: 5000),
                          visibility: visibility,
                          shareToken: visibility == .unlisted ? SecureRandom.token(bytes: 24) : nil,
                          createdAt: now, updatedAt: now)
        try services.catalog.createAlbum(album)
        return .redirect("/albums/\(album.id)")
    }

    /// The owner's album, or `.notFound` for anyone else.
    func ownAlbum(_ c: Context, id: String) throws -> (Profile, Album) {
        let user = try c.requireUser()
        guard let album = try services.catalog.album(id: Self.validID(id)), album.ownerID == user.userID else {
            throw GalleryError.notFound
        }
        return (user, album)
    }

    func albumPage(_ c: Context, id: String) throws -> Response {
        guard let album = try services.catalog.album(id: Self.validID(id)) else { throw GalleryError.notFound }
        if album.ownerID == c.user?.userID { return try renderAlbum(c, album, shareToken: nil) }
        guard album.visibility == .public else { throw GalleryError.notFound }
        return try renderAlbum(c, album, shareToken: nil)
    }

    func sharedAlbum(_ token: String) throws -> Album {
        guard Self.validToken(token), let album = try services.catalog.album(shareToken: token),
              album.visibility == .unlisted, album.shareToken == token else { throw GalleryError.notFound }
        return album
    }

    func sharedAlbumPage(_ c: Context, token: String) throws -> Response {
        try renderAlbum(c, try sharedAlbum(token), shareToken: token)
    }

    /// The owner sees every photo of the album; others see the public ones, and visitors with
    /// the album's link also its unlisted ones, through the link. Never encrypted ones.
    private func renderAlbum(_ c: Context, _ album: Album, shareToken: String?) throws -> Response {
        let isOwner = album.ownerID == c.user?.userID
        let page = try services.catalog.albumImages(albumID: album.id, cursor: c.request.query.first("cursor"),
                                                    limit: config.pageSize)
        var tiles: [Tile] = []
        for image in page.items {
            if isOwner {
                tiles.append(ImageView.tile(image))
            } else if image.encrypted {
                continue
            } else if image.visibility == .public {
                tiles.append(ImageView.tile(image))
            } else if image.visibility == .unlisted, let shareToken {
                let base = "/a/\(shareToken)/images/\(image.id)"
                tiles.append(ImageView.tile(image, access: ImageView.Access(page: base, media: base)))
            }
        }
        let here = shareToken.map { "/a/\($0)" } ?? "/albums/\(album.id)"
        var data: [String: Any] = [
            "album": Self.albumView(album, link: here),
            "images": tiles,
            "empty": tiles.isEmpty,
            "isOwner": isOwner,
            "next": page.next.map { "\(here)?cursor=" + Self.queryEscape($0) } as Any,
        ]
        if isOwner {
            data["visibilityOptions"] = Self.visibilityOptions(album.visibility)
            data["orderOptions"] = Album.Order.allCases.map {
                ["value": $0.rawValue, "label": $0 == .newest ? "Newest upload first" : "By date taken",
                 "selected": $0 == album.order]
            }
            if let token = album.shareToken { data["shareLink"] = "/a/\(token)" }
        }
        return c.page("album", title: album.title, data)
    }

    func editAlbum(_ c: Context, id: String) throws -> Response {
        var (_, album) = try ownAlbum(c, id: id)
        let form = try c.form()
        album.title = try Field.line(form.first("title"), name: "The album's name", max: 200, required: true)
        album.description = try Field.text(form.first("description"), name: "The description", max: 5000)
        album.visibility = try Field.visibility(form.first("visibility"), fallback: album.visibility)
        album.order = Album.Order(rawValue: form.first("order") ?? "") ?? album.order
        if album.visibility == .unlisted && album.shareToken == nil { album.shareToken = SecureRandom.token(bytes: 24) }
        if album.visibility != .unlisted { album.shareToken = nil }
        album.updatedAt = Date()
        try services.catalog.updateAlbum(album)
        return .redirect("/albums/\(album.id)")
    }

    func shareAlbum(_ c: Context, id: String) throws -> Response {
        var (_, album) = try ownAlbum(c, id: id)
        switch try c.form().first("action") {
        case "new":
            album.visibility = .unlisted
            album.shareToken = SecureRandom.token(bytes: 24)
        case "revoke":
            album.visibility = .private
            album.shareToken = nil
        default:
            throw GalleryError.invalid("Unknown sharing action.")
        }
        album.updatedAt = Date()
        try services.catalog.updateAlbum(album)
        return .redirect("/albums/\(album.id)")
    }

    func albumCover(_ c: Context, id: String) throws -> Response {
        var (user, album) = try ownAlbum(c, id: id)
        let imageID = try Self.validID(try c.form().first("image") ?? "")
        guard let image = try services.metadata.image(id: imageID), image.ownerID == user.userID else {
            throw GalleryError.notFound
        }
        album.coverImageID = image.id
        album.updatedAt = Date()
        try services.catalog.updateAlbum(album)
        return .redirect("/albums/\(album.id)")
    }

    func removeFromAlbum(_ c: Context, id: String) throws -> Response {
        let (_, album) = try ownAlbum(c, id: id)
        let ids = try c.form().all("image").map(Self.validID)
        try services.catalog.removeFromAlbum(albumID: album.id, imageIDs: ids)
        return .redirect("/albums/\(album.id)")
    }

    func deleteAlbumPage(_ c: Context, id: String) throws -> Response {
        let (_, album) = try ownAlbum(c, id: id)
        return c.page("album-delete", title: "Delete \(album.title)", ["album": Self.albumView(album, link: "/albums/\(album.id)")])
    }

    /// The page asks whether the photos go too; the answer is `photos=keep|delete`.
    func deleteAlbum(_ c: Context, id: String) throws -> Response {
        let (_, album) = try ownAlbum(c, id: id)
        let form = try c.form()
        guard let choice = form.first("photos"), choice == "keep" || choice == "delete" else {
            throw GalleryError.invalid("Say whether the album's photos are kept or deleted.")
        }
        if choice == "delete" {
            var cursor: String? = nil
            repeat {
                let page = try services.catalog.albumImages(albumID: album.id, cursor: cursor, limit: 100)
                for image in page.items { try removeImage(image) }
                cursor = page.next
            } while cursor != nil
        }
        try services.catalog.deleteAlbum(id: album.id)
        return .redirect("/albums")
    }

    /// Bulk actions on photos chosen in the gallery: add to an album, remove from one, delete.
    func galleryBulk(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let form = try c.form()
        let ids = try form.all("image").map(Self.validID)
        guard !ids.isEmpty else { throw GalleryError.invalid("Choose at least one photo.") }
        guard ids.count <= 200 else { throw GalleryError.invalid("Choose at most 200 photos at once.") }
        switch form.first("action") {
        case "add":
            let albumID = try Self.validID(form.first("album") ?? "")
            guard let album = try services.catalog.album(id: albumID), album.ownerID == user.userID else {
                throw GalleryError.notFound
            }
            try services.catalog.addToAlbum(albumID: album.id, imageIDs: ids)
            return .redirect("/albums/\(album.id)")
        case "delete":
            for id in ids {
                guard let image = try services.metadata.image(id: id), image.ownerID == user.userID else { continue }
                try removeImage(image)
            }
            return .redirect("/gallery")
        default:
            throw GalleryError.invalid("Choose what to do with the photos.")
        }
    }
}

/// Photos reached through an album's share link.
extension GalleryApp {
    func sharedAlbumImage(token: String, id: String) throws -> ImageRecord {
        let album = try sharedAlbum(token)
        guard let image = try services.metadata.image(id: Self.validID(id)), image.ownerID == album.ownerID,
              !image.encrypted, image.visibility != .private,
              try services.catalog.albums(containing: image.id, limit: 200).contains(where: { $0.id == album.id }) else {
            throw GalleryError.notFound
        }
        return image
    }

    func sharedAlbumImagePage(_ c: Context, token: String, id: String) throws -> Response {
        let image = try sharedAlbumImage(token: token, id: id)
        let base = "/a/\(token)/images/\(image.id)"
        return try imageDetailsPage(c, image, access: ImageView.Access(page: base, media: base))
    }

    func sharedAlbumMedia(_ c: Context, token: String, id: String, variant: String) throws -> Response {
        try serveMedia(try sharedAlbumImage(token: token, id: id), variant: variant, viewer: c.user)
    }
}
