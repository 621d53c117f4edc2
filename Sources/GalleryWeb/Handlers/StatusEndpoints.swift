import Foundation
import GalleryCore

/// The two JSON endpoints `static/gallery.js` uses; every page works without them.
///
/// - `POST /api/upload`: one photo per request (the script sends a few at a time, so one
///   refused file does not sink the others and each has its own progress). The same
///   multipart reader, CSRF check, file checks, duplicate check, quota and store as the form.
/// - `GET /api/status?ids=…`: the state of up to 100 images, each only if the viewer may see
///   it (`visibleImage`, as the image page); polled about once a second while a tile is
///   processing. Short polling rather than a stream: a request costs one responder thread for
///   a few milliseconds, while an open stream would pin a libfcgi thread per open tab.
extension GalleryApp {
    /// Ids one status request may ask about (a gallery page holds `pageSize` tiles).
    static let maxStatusIDs = 100

    struct UploadAnswer: Encodable {
        var id: String
        var link: String
        var name: String
        /// The new tile's markup (`Tile.write`), for the grid the photo was dropped on.
        var tile: String
    }

    struct ErrorAnswer: Encodable {
        var error: String
        /// For a duplicate: the photo already in the gallery.
        var link: String?
    }

    struct StatusAnswer: Encodable {
        struct Entry: Encodable {
            var status: String
            /// Only for the owner, as on the image page.
            var reason: String?
            var tile: String
            var preview: String?
            var previewWidth: Int?
            var previewHeight: Int?
        }
        var images: [String: Entry]
    }

    func uploadOne(_ c: Context) -> Response {
        do {
            let user = try c.requireUser()
            let rejected: ([String], Int) throws -> Response = { problems, status in
                .json(ErrorAnswer(error: problems.joined(separator: " ")), status: status)
            }
            return try receive(c, rejected: rejected) { received in
                guard received.images.count == 1, let (file, info) = received.images.first else {
                    throw GalleryError.invalid("Send one photo per request.")
                }
                guard received.fields.first("encrypt") != "1" else {
                    // Keys are shown once, on the page the form answers with.
                    throw GalleryError.invalid("Encrypted uploads go through the upload form.")
                }
                let visibility = try Field.visibility(received.fields.first("visibility"), fallback: user.defaultVisibility)
                if let existing = try services.catalog.image(ownerID: user.userID, sha256: file.sha256) {
                    let name = existing.title.isEmpty ? existing.originalFilename : existing.title
                    return .json(ErrorAnswer(error: "\(file.filename): already in your gallery as “\(name)”.",
                                             link: "/images/\(existing.id)"), status: 409)
                }
                try checkQuota(user, adding: [file])
                let image = try store(file, info: info, owner: user, visibility: visibility)
                logger.info("user \(user.userID) uploaded image \(image.id) (script)")
                var tile = ImageView.tile(image)
                tile.selectable = true
                return .json(UploadAnswer(id: image.id, link: "/images/\(image.id)", name: tile.name,
                                          tile: tile.html), status: 201)
            }
        } catch {
            let (status, _, message) = describe(error, context: c)
            return .json(ErrorAnswer(error: message), status: status)
        }
    }

    func imageStatus(_ c: Context) -> Response {
        do {
            let ids = (c.request.query.first("ids") ?? "").split(separator: ",")
            guard ids.count <= Self.maxStatusIDs else {
                throw GalleryError.invalid("Ask about at most \(Self.maxStatusIDs) photos at once.")
            }
            var answer = StatusAnswer(images: [:])
            for id in ids {
                let image: ImageRecord
                do {
                    image = try visibleImage(id: String(id), viewer: c.user)
                } catch GalleryError.notFound {
                    continue  // not there, or not theirs to see: said the same way, by leaving it out
                }
                let isOwner = c.user?.userID == image.ownerID
                let tile = ImageView.tile(image)
                answer.images[image.id] = .init(
                    status: image.status.rawValue, reason: isOwner ? image.failureReason : nil, tile: tile.html,
                    preview: tile.ready ? "\(tile.media)/preview.webp" : nil,
                    previewWidth: image.derivatives?.preview.width, previewHeight: image.derivatives?.preview.height)
            }
            return .json(answer)
        } catch {
            let (status, _, message) = describe(error, context: c)
            return .json(ErrorAnswer(error: message), status: status)
        }
    }
}

extension Response {
    /// A JSON answer; never stored (it says what is true now, for this viewer).
    static func json<T: Encodable>(_ value: T, status: Int = 200) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)).map { [UInt8]($0) } ?? Array("{}".utf8)
        return Response(status: status, headers: [("Content-Type", "application/json; charset=utf-8"),
                                                  ("Cache-Control", "no-store")], body: body)
    }
}
