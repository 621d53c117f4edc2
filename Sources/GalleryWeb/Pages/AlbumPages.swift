import Foundation
import GalleryCore
import GalleryHTTP
import GalleryUseCases

/// Albums: a person's named selections of their photos, each with its own visibility.
struct AlbumPages {
    let app: UseCases
    let config: Configuration

    func albumsPage(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let page = try app.listings.albumFaces(of: user, cursor: c.request.query.first("cursor"), limit: config.pageSize)
        return c.page("albums", title: "Your albums", [
            "albums": page.items.map { PageParts.albumView($0, link: "/albums/\($0.album.id)") },
            "empty": page.items.isEmpty,
            "next": page.next.map { "/albums?cursor=" + PageParts.queryEscape($0) } as Any,
            "visibilityOptions": PageParts.visibilityOptions(user.defaultVisibility),
        ])
    }

    func createAlbum(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let form = try c.form()
        let album = try app.albums.create(Albums.Details(
            title: try Field.albumTitle(form.first("title")),
            description: try Field.description(form.first("description")),
            visibility: try Field.visibility(form.first("visibility"), fallback: user.defaultVisibility)), owner: user)
        return .redirect("/albums/\(album.id)")
    }

    func albumPage(_ c: Context, id: String) throws -> Response {
        try render(c, try app.access.visibleAlbum(id: id, viewer: c.user), shareToken: nil)
    }

    func sharedAlbumPage(_ c: Context, token: String) throws -> Response {
        try render(c, try app.access.sharedAlbum(token: token), shareToken: token)
    }

    private func render(_ c: Context, _ album: Album, shareToken: String?) throws -> Response {
        let isOwner = album.ownerID == c.user?.userID
        let (face, entries, next) = try app.listings.albumPage(album, viewer: c.user, shareToken: shareToken,
                                                         cursor: c.request.query.first("cursor"), limit: config.pageSize)
        let tiles = entries.map { entry -> Tile in
            switch entry {
            case .direct(let image):
                return ImageView.tile(image)
            case .throughLink(let image, let token):
                let base = "/a/\(token)/images/\(image.id)"
                return ImageView.tile(image, access: ImageView.Address(page: base, media: base))
            }
        }
        let here = shareToken.map { "/a/\($0)" } ?? "/albums/\(album.id)"
        var data: [String: Any] = [
            "album": PageParts.albumView(face, link: here),
            "images": tiles,
            "empty": tiles.isEmpty,
            "isOwner": isOwner,
            "next": next.map { "\(here)?cursor=" + PageParts.queryEscape($0) } as Any,
        ]
        if isOwner {
            data["visibilityOptions"] = PageParts.visibilityOptions(album.visibility)
            data["orderOptions"] = Album.Order.allCases.map {
                ["value": $0.rawValue, "label": $0 == .newest ? "Newest upload first" : "By date taken",
                 "selected": $0 == album.order]
            }
            if let token = album.shareToken { data["shareLink"] = "/a/\(token)" }
        }
        return c.page("album", title: album.title, data)
    }

    func editAlbum(_ c: Context, id: String) throws -> Response {
        let album = try app.access.ownAlbum(id: id, owner: try c.requireUser())
        let form = try c.form()
        try app.albums.edit(album, Albums.Details(
            title: try Field.albumTitle(form.first("title")),
            description: try Field.description(form.first("description")),
            visibility: try Field.visibility(form.first("visibility"), fallback: album.visibility),
            order: Album.Order(rawValue: form.first("order") ?? "")))
        return .redirect("/albums/\(album.id)")
    }

    func shareAlbum(_ c: Context, id: String) throws -> Response {
        let album = try app.access.ownAlbum(id: id, owner: try c.requireUser())
        try app.albums.share(album, try shareAction(try c.form()))
        return .redirect("/albums/\(album.id)")
    }

    func albumCover(_ c: Context, id: String) throws -> Response {
        let user = try c.requireUser()
        let album = try app.access.ownAlbum(id: id, owner: user)
        try app.albums.setCover(album, imageID: try c.form().first("image") ?? "", owner: user)
        return .redirect("/albums/\(album.id)")
    }

    func removeFromAlbum(_ c: Context, id: String) throws -> Response {
        let album = try app.access.ownAlbum(id: id, owner: try c.requireUser())
        try app.albums.remove(imageIDs: try c.form().all("image"), from: album)
        return .redirect("/albums/\(album.id)")
    }

    func deleteAlbumPage(_ c: Context, id: String) throws -> Response {
        let user = try c.requireUser()
        let album = try app.access.ownAlbum(id: id, owner: user)
        return c.page("album-delete", title: "Delete \(album.title)",
                      ["album": PageParts.albumView(try app.access.face(of: album, viewer: user, shareToken: nil),
                                                    link: "/albums/\(album.id)")])
    }

    /// The page asks whether the photos go too; the answer is `photos=keep|delete`.
    func deleteAlbum(_ c: Context, id: String) throws -> Response {
        let album = try app.access.ownAlbum(id: id, owner: try c.requireUser())
        let form = try c.form()
        guard let choice = form.first("photos"), choice == "keep" || choice == "delete" else {
            throw GalleryError.invalid("Say whether the album's photos are kept or deleted.")
        }
        try app.albums.delete(album, deletingPhotos: choice == "delete")
        return .redirect("/albums")
    }
}
