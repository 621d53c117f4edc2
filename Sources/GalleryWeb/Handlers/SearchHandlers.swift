import Foundation
import GalleryCore

/// Search over one's own photos or everyone's public ones, and tag pages.
extension GalleryApp {
    func searchPage(_ c: Context) throws -> Response {
        let q = c.request.query
        let words = try Field.line(q.first("q"), name: "The search", max: 200)
            .lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        let tagText = try Field.line(q.first("tag"), name: "The tag", max: 33).lowercased()
            .trimmingCharacters(in: CharacterSet(charactersIn: "#"))
        guard tagText.isEmpty || Field.isTag(tagText) else { throw GalleryError.invalid("That is not a tag.") }
        let camera = try Field.line(q.first("camera"), name: "The camera", max: 100)
        let query = SearchQuery(tag: tagText.isEmpty ? nil : tagText, words: Array(words.prefix(10)),
                                camera: camera.isEmpty ? nil : camera,
                                takenFrom: try Field.date(q.first("from"), name: "From"),
                                takenTo: try Field.date(q.first("to"), name: "To", endOfDay: true))
        let mine = q.first("scope") == "mine" && c.user != nil
        var data: [String: Any] = [
            "q": q.first("q") ?? "", "tag": tagText, "camera": camera,
            "from": q.first("from") ?? "", "to": q.first("to") ?? "", "mine": mine,
            "searched": !query.isEmpty,
        ]
        if !query.isEmpty {
            let scope: Scope = mine ? .owner(c.user!.userID) : .everyone
            let page = try services.catalog.search(query, scope: scope, cursor: q.first("cursor"), limit: config.pageSize)
            data["images"] = page.items.map(ImageView.tile)
            // A page can come back short (even empty) with more to read: the store stops at a
            // budget of candidates per request rather than scanning on.
            data["empty"] = page.items.isEmpty && page.next == nil
            data["short"] = page.items.isEmpty && page.next != nil
            if let next = page.next {
                var params = q.pairs.filter { $0.0 != "cursor" }
                params.append(("cursor", next))
                data["next"] = "/search?" + params.map { "\($0.0)=\(Self.queryEscape($0.1))" }.joined(separator: "&")
            }
        }
        return c.page("search", title: "Search", data)
    }

    /// /tags/{tag}: everyone's public photos with the tag.
    func tagPage(_ c: Context, tag: String) throws -> Response {
        // Tags are stored lower-cased; /tags/Beer is the same tag, at its one address.
        if tag != tag.lowercased(), Field.isTag(tag.lowercased()) {
            return .redirect("/tags/\(tag.lowercased())", status: 301)
        }
        guard Field.isTag(tag) else { throw GalleryError.notFound }
        let page = try services.catalog.search(SearchQuery(tag: tag), scope: .everyone,
                                               cursor: c.request.query.first("cursor"), limit: config.pageSize)
        return c.page("tag", title: "#\(tag)", [
            "tag": tag,
            "images": page.items.map(ImageView.tile),
            "empty": page.items.isEmpty,
            "next": page.next.map { "/tags/\(tag)?cursor=" + Self.queryEscape($0) } as Any,
        ])
    }

    /// /u/{username}: a person's public page.
    func personPage(_ c: Context, username: String) throws -> Response {
        guard let profile = try services.metadata.profile(username: username), profile.deletedAt == nil else {
            throw GalleryError.notFound
        }
        let photos = try services.catalog.images(scope: .publicOf(profile.userID), cursor: c.request.query.first("cursor"),
                                                 limit: config.pageSize)
        let albums = try services.catalog.albums(scope: .publicOf(profile.userID), cursor: nil, limit: 50)
        return c.page("person", title: profile.displayName, [
            "person": [
                "username": profile.username, "displayName": profile.displayName, "bio": profile.bio,
                "avatar": profile.avatarImageID as Any,  // in the URL: a new picture is a new address (cached immutable)
                "since": Formatting.timestamp(profile.createdAt),
            ],
            "images": photos.items.map(ImageView.tile),
            "empty": photos.items.isEmpty,
            "albums": try albumViews(albums.items, viewer: c.user),
            "next": photos.next.map { "/u/\(profile.username)?cursor=" + Self.queryEscape($0) } as Any,
        ])
    }

    /// The avatar is shown wherever its owner's page is, whatever the visibility of the photo
    /// it was made from: choosing it as avatar is choosing to show it.
    func avatar(_ c: Context, username: String) throws -> Response {
        guard let profile = try services.metadata.profile(username: username), profile.deletedAt == nil,
              let id = profile.avatarImageID, let image = try services.metadata.image(id: id),
              image.ownerID == profile.userID, !image.encrypted else { throw GalleryError.notFound }
        return try serveMedia(image, variant: "thumb.webp", viewer: nil)
    }
}
