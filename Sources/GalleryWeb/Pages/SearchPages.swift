import Foundation
import GalleryCore
import GalleryHTTP
import GalleryUseCases

/// Search over one's own photos or everyone's public ones, tag pages and public person pages.
struct SearchPages {
    let app: UseCases
    let config: Configuration

    func searchPage(_ c: Context) throws -> Response {
        let q = c.request.query
        let words = try Field.line(q.first("q"), name: "The search", max: 200)
            .lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        let tagText = try Field.line(q.first("tag"), name: "The tag", max: CatalogRules.maxTagLength + 1)
            .trimmingCharacters(in: CharacterSet(charactersIn: "#"))
        let tag = tagText.isEmpty ? nil : Field.normalisedTag(tagText)
        guard tagText.isEmpty || tag != nil else { throw GalleryError.invalid("That is not a tag.") }
        let camera = try Field.line(q.first("camera"), name: "The camera", max: 100)
        let query = SearchQuery(tag: tag, words: Array(words.prefix(10)),
                                camera: camera.isEmpty ? nil : camera,
                                takenFrom: try Field.date(q.first("from"), name: "From"),
                                takenTo: try Field.date(q.first("to"), name: "To", endOfDay: true))
        let mine = q.first("scope") == "mine" && c.user != nil
        var data: [String: Any] = [
            "q": q.first("q") ?? "", "tag": tag ?? "", "camera": camera,
            "from": q.first("from") ?? "", "to": q.first("to") ?? "", "mine": mine,
            "searched": !query.isEmpty,
        ]
        if !query.isEmpty {
            let scope: Scope = mine ? .owner(c.user!.userID) : .everyone
            let page = try app.listings.search(query, scope: scope, cursor: q.first("cursor"), limit: config.pageSize)
            data["images"] = page.items.map(ImageView.tile)
            // A page can come back short (even empty) with more to read: the store stops at a
            // budget of candidates per request rather than scanning on.
            data["empty"] = page.items.isEmpty && page.next == nil
            data["short"] = page.items.isEmpty && page.next != nil
            if let next = page.next {
                var params = q.pairs.filter { $0.0 != "cursor" }
                params.append(("cursor", next))
                data["next"] = "/search?" + params.map { "\($0.0)=\(PageParts.queryEscape($0.1))" }.joined(separator: "&")
            }
        }
        return c.page("search", title: "Search", data)
    }

    /// /tags/{tag}: everyone's public photos with the tag.
    func tagPage(_ c: Context, tag: String) throws -> Response {
        let page = try app.listings.search(SearchQuery(tag: tag), scope: .everyone,
                                           cursor: c.request.query.first("cursor"), limit: config.pageSize)
        return c.page("tag", title: "#\(tag)", [
            "tag": tag,
            "images": page.items.map(ImageView.tile),
            "empty": page.items.isEmpty,
            "next": page.next.map { "/tags/\(PageParts.queryEscape(tag))?cursor=" + PageParts.queryEscape($0) } as Any,
        ])
    }

    /// /u/{username}: a person's public page.
    func personPage(_ c: Context, username: String) throws -> Response {
        guard let profile = try app.access.person(username: username) else { throw GalleryError.notFound }
        let (photos, albums) = try app.listings.publicPage(of: profile, viewer: c.user, cursor: c.request.query.first("cursor"),
                                                           limit: config.pageSize)
        return c.page("person", title: profile.displayName, [
            "person": [
                "username": profile.username, "displayName": profile.displayName, "bio": profile.bio,
                "avatar": profile.avatarImageID as Any,  // in the URL: a new picture is a new address (cached immutable)
                "since": Formatting.timestamp(profile.createdAt),
            ],
            "images": photos.items.map(ImageView.tile),
            "empty": photos.items.isEmpty,
            "albums": albums.map { PageParts.albumView($0, link: "/albums/\($0.album.id)") },
            "next": photos.next.map { "/u/\(profile.username)?cursor=" + PageParts.queryEscape($0) } as Any,
        ])
    }
}
