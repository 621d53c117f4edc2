import Foundation
import GalleryCore
import GalleryHTTP
import GalleryUseCases
import Logging

/// The two JSON endpoints `static/gallery.js` uses; every page works without them.
///
/// - `POST /api/upload`: one photo per request (the script sends a few at a time, so one
///   refused file does not sink the others and each has its own progress). The same
///   multipart reader, CSRF check, file checks and `Uploads.store` (duplicates, quota) as the
///   form.
/// - `GET /api/status?ids=…`: the state of up to 100 images, each only if the viewer may see
///   it (`Access.visibleImage`, as the photo page); polled about once a second while a tile is
///   processing. Short polling rather than a stream: a request costs one responder thread for
///   a few milliseconds, while an open stream would pin a libfcgi thread per open tab.
struct ScriptEndpoints {
    let uploads: UploadPages
    let app: UseCases
    let logger: Logger

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
            /// Only for the owner, as on the photo page.
            var reason: String?
            var tile: String
            var preview: String?
            var previewWidth: Int?
            var previewHeight: Int?
        }
        var images: [String: Entry]
    }

    func uploadOne(_ c: Context) -> Response {
        answering(c) {
            let user = try c.requireUser()
            let rejected: ([String], Int) throws -> Response = { problems, status in
                .json(ErrorAnswer(error: problems.joined(separator: " ")), status: status)
            }
            return try uploads.receive(c, rejected: rejected) { fields, photos in
                guard photos.count == 1, let photo = photos.first else {
                    throw GalleryError.invalid("Send one photo per request.")
                }
                guard fields.first("encrypt") != "1" else {
                    // Keys are shown once, on the page the form answers with.
                    throw GalleryError.invalid("Encrypted uploads go through the upload form.")
                }
                let visibility = try Field.visibility(fields.first("visibility"), fallback: user.defaultVisibility)
                let outcome = try app.uploads.store([photo], owner: user, protection: .plain(visibility))
                if let duplicate = outcome.duplicates.first {
                    let existing = duplicate.existing
                    let name = existing.map { $0.title.isEmpty ? $0.originalFilename : $0.title } ?? "another file"
                    return .json(ErrorAnswer(error: "\(duplicate.filename): already in your gallery as “\(name)”.",
                                             link: existing.map { "/images/\($0.id)" }), status: 409)
                }
                guard let image = outcome.stored.first?.image else {
                    throw GalleryError.invalid("Nothing was stored.")
                }
                var tile = ImageView.tile(image)
                tile.selectable = true
                return .json(UploadAnswer(id: image.id, link: "/images/\(image.id)", name: tile.name, tile: tile.html),
                             status: 201)
            }
        }
    }

    func imageStatus(_ c: Context) -> Response {
        answering(c) {
            let ids = (c.request.query.first("ids") ?? "").split(separator: ",")
            guard ids.count <= Self.maxStatusIDs else {
                throw GalleryError.invalid("Ask about at most \(Self.maxStatusIDs) photos at once.")
            }
            var answer = StatusAnswer(images: [:])
            for id in ids {
                let image: ImageRecord
                do {
                    image = try app.access.visibleImage(id: String(id), viewer: c.user)
                } catch GalleryError.notFound {
                    continue  // not there, or not theirs to see: said the same way, by leaving it out
                }
                let tile = ImageView.tile(image)
                answer.images[image.id] = .init(
                    status: image.status.rawValue,
                    reason: c.user?.userID == image.ownerID ? image.failureReason : nil, tile: tile.html,
                    preview: tile.ready ? "\(tile.media)/preview.webp" : nil,
                    previewWidth: image.derivatives?.preview.width, previewHeight: image.derivatives?.preview.height)
            }
            return .json(answer)
        }
    }

    /// Every failure as JSON with the status and words a page would have.
    private func answering(_ c: Context, _ body: () throws -> Response) -> Response {
        do {
            return try body()
        } catch {
            let (status, _, message) = GalleryApp.describe(error, context: c, logger: logger)
            return .json(ErrorAnswer(error: message), status: status)
        }
    }
}

extension Response {
    /// A JSON answer; never stored (it says what is true now, for this viewer). Encoding these
    /// strings and numbers cannot fail; an empty object would be the answer if it did.
    static func json<T: Encodable>(_ value: T, status: Int = 200) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)).map { [UInt8]($0) } ?? Array("{}".utf8)
        return Response(status: status, headers: [("Content-Type", "application/json; charset=utf-8"),
                                                  ("Cache-Control", "no-store")], body: body)
    }
}
