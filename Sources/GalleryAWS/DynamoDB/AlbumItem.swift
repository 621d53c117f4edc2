import Foundation
import GalleryCore
import GalleryCrypto

/// `Album` ⇄ an item of the albums table (`createdKey`, and `feed` / `publicOwner` only while
/// public, like images), and the album's membership items.
enum AlbumItem {
    static func key(_ id: String) -> DynamoItem { ["id": .s(id)] }

    static func encode(_ album: Album) -> DynamoItem {
        var item: DynamoItem = [
            "id": .s(album.id), "ownerID": .s(album.ownerID), "ownerUsername": .s(album.ownerUsername),
            "title": .s(album.title), "description": .s(album.description),
            "visibility": .s(album.visibility.rawValue), "order": .s(album.order.rawValue),
            "imageCount": .int(album.imageCount), "createdAt": .milliseconds(album.createdAt),
            "updatedAt": .milliseconds(album.updatedAt),
            "createdKey": .s(DynamoTime.sortKey(album.createdAt, id: album.id)),
        ]
        if album.visibility == .public {
            item["feed"] = .s(ImageItem.publicFeed)
            item["publicOwner"] = .s(album.ownerID)
        }
        if let token = album.shareToken { item["shareToken"] = .s(token) }
        if let cover = album.coverImageID { item["coverImageID"] = .s(cover) }
        return item
    }

    static func decode(_ item: DynamoItem) throws -> Album {
        guard let visibility = Visibility(rawValue: try item.string("visibility")),
              let order = Album.Order(rawValue: try item.string("order")) else {
            throw DynamoDecodingError("bad visibility or order")
        }
        return Album(id: try item.string("id"), ownerID: try item.string("ownerID"),
                     ownerUsername: try item.string("ownerUsername"), title: try item.string("title"),
                     description: item["description"]?.string ?? "", visibility: visibility,
                     shareToken: item["shareToken"]?.string, coverImageID: item["coverImageID"]?.string, order: order,
                     imageCount: item["imageCount"]?.int ?? 0, createdAt: try item.date("createdAt"),
                     updatedAt: try item.date("updatedAt"))
    }

    // MARK: Memberships

    static func membershipKey(album: String, image: String) -> DynamoItem { ["albumID": .s(album), "imageID": .s(image)] }

    /// Both orders' sort keys are kept on every membership (the album's order may change).
    static func membership(album: String, image: ImageRecord) -> DynamoItem {
        [
            "albumID": .s(album), "imageID": .s(image.id),
            "newestKey": .s(DynamoTime.sortKey(image.createdAt, id: image.id)),
            "takenKey": .s(takenKey(image)),
        ]
    }

    /// "0#<date taken>#<createdKey>" or, without a date, "1#<createdKey>": ascending, this is
    /// oldest taken first, undated last by upload time. Dates are shifted by 10^14 ms (3 000
    /// years) so that photos dated before 1970 sort right too.
    static func takenKey(_ image: ImageRecord) -> String {
        let created = DynamoTime.sortKey(image.createdAt, id: image.id)
        guard let taken = image.derivatives?.metadata?.takenAt else { return "1#" + created }
        let shifted = min(max(0, DynamoTime.milliseconds(taken) + 100_000_000_000_000), 999_999_999_999_999)
        return String(format: "0#%015lld#", shifted) + created
    }

    /// A cursor of the `taken` order: a takenKey, checked like `PageCursor.decode` checks
    /// createdKeys (nothing else may reach ExclusiveStartKey).
    static func decodeTakenCursor(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard text.count <= 400, let bytes = Encoding.base64URLDecode(text),
              let key = String(bytes: bytes, encoding: .utf8) else { throw GalleryError.invalid("bad page cursor") }
        let created: Substring
        if key.hasPrefix("1#") {
            created = key.dropFirst(2)
        } else if key.hasPrefix("0#"), key.count > 18, key.dropFirst(2).prefix(15).allSatisfy({ $0.isASCII && $0.isNumber }),
                  key.dropFirst(17).first == "#" {
            created = key.dropFirst(18)
        } else {
            throw GalleryError.invalid("bad page cursor")
        }
        _ = try PageCursor.decode(PageCursor.encode(String(created)))
        return key
    }

    /// The image id at the end of either sort key.
    static func imageID(ofSortKey key: String) -> String {
        key.lastIndex(of: "#").map { String(key[key.index(after: $0)...]) } ?? key
    }
}
