import Foundation
import GalleryCore
import GalleryCrypto

/// A photo's page, what its owner says about it, and its share link.
extension GalleryApp {
    func imageDetailsPage(_ c: Context, _ image: ImageRecord, access: ImageView.Access) throws -> Response {
        let isOwner = c.user?.userID == image.ownerID
        let owner = isOwner ? c.user : try services.metadata.profile(userID: image.ownerID)
        var data: [String: Any] = [
            "image": ImageView.details(image, viewer: c.user, owner: owner, access: access),
            "refresh": image.status == .processing,
        ]
        if let user = c.user, user.userID == image.ownerID {
            let containing = try services.catalog.albums(containing: image.id, limit: 50)
            data["inAlbums"] = containing.map { ["id": $0.id, "title": $0.title] }
            data["hasInAlbums"] = !containing.isEmpty
            let mine = try services.catalog.albums(scope: .owner(user.userID), cursor: nil, limit: 100).items
            let choices = mine.filter { a in !containing.contains { $0.id == a.id } }
            data["albumChoices"] = choices.map { ["id": $0.id, "title": $0.title] }
            data["hasAlbumChoices"] = !choices.isEmpty
        }
        return c.page("image", title: image.title.isEmpty ? image.originalFilename : image.title, data)
    }

    /// The owner's image, or `.notFound` for anyone else.
    func ownImage(_ c: Context, id: String) throws -> (Profile, ImageRecord) {
        let user = try c.requireUser()
        guard let image = try services.metadata.image(id: Self.validID(id)), image.ownerID == user.userID else {
            throw GalleryError.notFound
        }
        return (user, image)
    }

    func editImage(_ c: Context, id: String) throws -> Response {
        let (_, image) = try ownImage(c, id: id)
        let form = try c.form()
        let title = try Field.line(form.first("title"), name: "The title", max: 200)
        let description = try Field.text(form.first("description"), name: "The description", max: 5000)
        let tags = try Field.tags(form.first("tags"))
        let visibility = try Field.visibility(form.first("visibility"), fallback: image.visibility)
        if image.encrypted && visibility != .private {
            throw PageError(status: 422, title: "Encrypted photos stay private",
                            message: "Only you can see an encrypted photo: the server cannot show it to anyone.")
        }
        try services.catalog.updateDetails(imageID: image.id, title: title, description: description, tags: tags,
                                           visibility: visibility)
        try syncShareToken(imageID: image.id, current: image.shareToken, visibility: visibility)
        return .redirect("/images/\(image.id)")
    }

    /// A link exists exactly while the photo is unlisted: made when it becomes unlisted,
    /// gone when it stops being.
    private func syncShareToken(imageID: String, current: String?, visibility: Visibility) throws {
        if visibility == .unlisted, current == nil {
            try services.catalog.setShareToken(imageID: imageID, token: SecureRandom.token(bytes: 24))
        } else if visibility != .unlisted, current != nil {
            try services.catalog.setShareToken(imageID: imageID, token: nil)
        }
    }

    /// `action=new`: a fresh link (the old one stops working); `action=revoke`: no link, and
    /// the photo becomes private.
    func shareImage(_ c: Context, id: String) throws -> Response {
        let (_, image) = try ownImage(c, id: id)
        let form = try c.form()
        guard !image.encrypted else { throw GalleryError.invalid("Encrypted photos cannot be shared.") }
        switch form.first("action") {
        case "new":
            if image.visibility != .unlisted {
                try services.catalog.updateDetails(imageID: image.id, title: image.title, description: image.description,
                                                   tags: image.tags, visibility: .unlisted)
            }
            try services.catalog.setShareToken(imageID: image.id, token: SecureRandom.token(bytes: 24))
        case "revoke":
            try services.catalog.setShareToken(imageID: image.id, token: nil)
            try services.catalog.updateDetails(imageID: image.id, title: image.title, description: image.description,
                                               tags: image.tags, visibility: .private)
        default:
            throw GalleryError.invalid("Unknown sharing action.")
        }
        return .redirect("/images/\(image.id)")
    }

    /// An unlisted photo by its share link.
    func sharedImage(_ token: String) throws -> ImageRecord {
        guard Self.validToken(token), let image = try services.catalog.image(shareToken: token),
              image.visibility == .unlisted, image.shareToken == token, !image.encrypted else {
            throw GalleryError.notFound
        }
        return image
    }

    func sharedImagePage(_ c: Context, token: String) throws -> Response {
        let image = try sharedImage(token)
        return try imageDetailsPage(c, image, access: ImageView.Access(page: "/s/\(token)", media: "/s/\(token)"))
    }

    func sharedImageMedia(_ c: Context, token: String, variant: String) throws -> Response {
        try serveMedia(try sharedImage(token), variant: variant, viewer: c.user)
    }

    /// Share tokens are ours: base64url of 24 random bytes.
    static func validToken(_ token: String) -> Bool {
        token.utf8.count == 32 && token.utf8.allSatisfy {
            ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95
        }
    }
}
