import Foundation
import GalleryCore
import GalleryHTTP
import GalleryUseCases

/// Image bytes. The responder authorizes and names the object; nginx sends the bytes
/// (X-Accel-Redirect to an internal location, sendfile) or the browser fetches a presigned URL.
struct MediaPages {
    let access: Access
    let media: Media

    func media(_ c: Context, id: String, variant: MediaVariant) throws -> Response {
        try serve(try access.visibleImage(id: id, viewer: c.user), variant: variant, viewer: c.user)
    }

    func sharedImageMedia(_ c: Context, token: String, variant: MediaVariant) throws -> Response {
        try serve(try access.sharedImage(token: token), variant: variant, viewer: c.user)
    }

    func sharedAlbumMedia(_ c: Context, token: String, id: String, variant: MediaVariant) throws -> Response {
        try serve(try access.sharedAlbumImage(token: token, id: id), variant: variant, viewer: c.user)
    }

    func avatar(_ c: Context, username: String) throws -> Response {
        try serve(try access.avatarImage(username: username), variant: .thumbnail, viewer: nil)
    }

    private func serve(_ image: ImageRecord, variant: MediaVariant, viewer: Profile?) throws -> Response {
        let blob = try media.blob(image, variant: variant, viewer: viewer)
        switch blob.delivery {
        case .accelRedirect(let path):
            var response = Response(status: 200, headers: [
                ("X-Accel-Redirect", path),
                ("Content-Type", blob.contentType),
                ("Cache-Control", blob.cacheControl),
                ("X-Content-Type-Options", "nosniff"),
            ])
            if let name = blob.downloadName { response.addHeader("Content-Disposition", Self.attachment(name)) }
            return response
        case .redirect(let url):
            return Response(status: 302, headers: [("Location", url), ("Cache-Control", "private, max-age=60")])
        }
    }

    static func attachment(_ name: String) -> String {
        "attachment; filename=\"\(name)\""
    }
}
