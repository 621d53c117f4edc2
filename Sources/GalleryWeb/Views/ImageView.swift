import Foundation
import GalleryHTTP
import GalleryCore
import GalleryUseCases

/// How an image appears in pages. Built per render; values are escaped by Mustache, or by
/// `HTMLWriter` for the tiles.
enum ImageView {
    /// Where a viewer reaches an image's page and bytes: directly, or through a share link
    /// (of the image, or of an album holding it).
    struct Address {
        var page: String
        var media: String
        static func direct(_ id: String) -> Address { Address(page: "/images/\(id)", media: "/media/\(id)") }
    }

    static func tile(_ image: ImageRecord) -> Tile { tile(image, access: .direct(image.id)) }

    static func tile(_ image: ImageRecord, access: Address) -> Tile {
        Tile(id: image.id, link: access.page, media: access.media, owner: image.ownerUsername,
             name: image.title.isEmpty ? image.originalFilename : image.title, status: image.status,
             encrypted: image.encrypted, createdAt: image.createdAt,
             thumbnail: image.derivatives.map { ($0.thumbnail.width, $0.thumbnail.height) },
             placeholder: image.derivatives?.placeholder.flatMap(SafeDataURL.init),
             takenAt: image.derivatives?.metadata?.takenAt, hasThumbnail2x: image.derivatives?.thumbnail2x != nil)
    }

    /// `owner`: the image owner's profile (their position choices).
    static func details(_ image: ImageRecord, viewer: Profile?, owner: Profile?, access: Address) -> [String: Any] {
        let isOwner = viewer?.userID == image.ownerID
        var view = tile(image, access: access).fields
        view["isOwner"] = isOwner
        view["filename"] = image.originalFilename
        view["title"] = image.title
        view["description"] = image.description
        view["tags"] = image.tags.map { ["tag": $0] }
        view["hasTags"] = !image.tags.isEmpty
        view["tagText"] = image.tags.joined(separator: " ")
        view["status"] = image.status.rawValue
        view["format"] = image.format.rawValue.uppercased()
        view["size"] = ByteCount.text(image.byteSize)
        view["width"] = image.width
        view["height"] = image.height
        view["visibility"] = image.visibility.rawValue
        view["visibilityOptions"] = Visibility.allCases.map {
            ["value": $0.rawValue, "label": label($0), "selected": $0 == image.visibility]
        }
        if isOwner, let token = image.shareToken { view["shareLink"] = "/s/\(token)" }
        if let reason = image.failureReason { view["failureReason"] = reason }
        if let d = image.derivatives {
            view["previewWidth"] = d.preview.width
            view["previewHeight"] = d.preview.height
            if let m = d.metadata {
                view["exif"] = exif(m, position: PositionPrivacy.positionLabel(viewerIsOwner: isOwner, owner: owner))
            }
        }
        switch PositionPrivacy.original(of: image, viewerIsOwner: isOwner, owner: owner) {
        case .asUploaded?: view["original"] = ["withoutPosition": false]
        case .withoutPosition?: view["original"] = ["withoutPosition": true]
        case nil: break
        }
        return view
    }

    static func label(_ visibility: Visibility) -> String {
        switch visibility {
        case .public: return "Everyone (in Recent)"
        case .unlisted: return "Anyone with the link"
        case .private: return "Only me"
        }
    }

    /// The camera facts, and the position under the label `position` if it is shown at all
    /// (the caller asks `PositionPrivacy`: a position tells where someone was).
    static func exif(_ m: PhotoMetadata, position: String?) -> [String: Any]? {
        var facts: [[String: String]] = []
        func add(_ name: String, _ value: String?) { if let value, !value.isEmpty { facts.append(["name": name, "value": value]) } }
        let camera = [m.cameraMake, m.cameraModel].compactMap { $0 }.joined(separator: " ")
        add("Camera", camera)
        add("Lens", m.lens)
        add("Exposure", m.exposureTime.map { "\($0) s" })
        add("Aperture", m.fNumber.map { String(format: "f/%.1f", $0) })
        add("ISO", m.iso.map(String.init))
        add("Focal length", m.focalLength.map { String(format: "%.0f mm", $0) })
        add("Taken", m.takenAt.map(Formatting.timestamp))
        var map: [String: Any]?
        if let position, let lat = m.latitude, let lon = m.longitude {
            add(position, String(format: "%.5f, %.5f", lat, lon))
            map = ["url": String(format: "https://www.openstreetmap.org/?mlat=%.5f&mlon=%.5f#map=15/%.5f/%.5f", lat, lon, lat, lon)]
        }
        guard !facts.isEmpty else { return nil }
        var view: [String: Any] = ["facts": facts]
        if let map { view["map"] = map }
        return view
    }
}

/// The small pieces every page shares.
enum PageParts {
    static func visibilityOptions(_ selected: Visibility) -> [[String: Any]] {
        Visibility.allCases.map { ["value": $0.rawValue, "label": ImageView.label($0), "selected": $0 == selected] }
    }

    /// An album's card or heading, with what `face` lets the viewer see of its photos.
    static func albumView(_ face: Access.AlbumFace, link: String) -> [String: Any] {
        let album = face.album
        var cover: String?
        switch face.cover {
        case .direct(let image)? where image.status == .ready: cover = "\(ImageView.Address.direct(image.id).media)/thumb.webp"
        case .throughLink(let image, let token)? where image.status == .ready: cover = "/a/\(token)/images/\(image.id)/thumb.webp"
        default: cover = nil
        }
        return [
            "id": album.id, "link": link, "title": album.title, "description": album.description,
            "owner": album.ownerUsername, "count": face.imageCount as Any,
            "photos": face.imageCount.map { Formatting.count($0, "photo") } as Any,
            "visibility": album.visibility.rawValue,
            "cover": cover as Any, "updated": Formatting.timestamp(album.updatedAt),
        ]
    }

    static func queryEscape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// Only local paths: an open redirect would let a phishing link bounce through us.
    /// Browsers drop tabs and line breaks anywhere in a URL and read a backslash as "/", so
    /// "/<TAB>/evil.example" is "//evil.example", another host: only printable ASCII other
    /// than the backslash passes (anything else in a path of ours is percent-encoded anyway),
    /// and never "//".
    static func safeNext(_ next: String?) -> String {
        guard let next, next.utf8.first == UInt8(ascii: "/"), next.utf8.count <= 2048,
              next.utf8.allSatisfy({ (0x21...0x7e).contains($0) && $0 != UInt8(ascii: "\\") }),
              !next.hasPrefix("//") else { return "/gallery" }
        return next
    }
}
