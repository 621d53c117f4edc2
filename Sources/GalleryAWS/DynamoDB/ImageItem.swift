import Foundation
import GalleryCore

/// `ImageRecord` ⇄ DynamoDB item. Optional fields are absent attributes; derivatives are one
/// map (replaced whole when the worker finishes).
///
/// Beside the record an item holds what the indexes and writers need: `createdKey` (sort key
/// of every list), `feed` and `publicOwner` (only while public: sparse indexes), `ownerSHA`
/// (duplicates), `albums` (a string set of the albums it is in) and `version`, bumped by every
/// write, which is conditioned on the version it read (see `ImageWriter`).
enum ImageItem {
    static let publicFeed = "PUBLIC"

    /// An item and what is not part of the record.
    struct Stored {
        var image: ImageRecord
        var version: Int
        var albums: [String]
    }

    static func stored(_ item: DynamoItem) throws -> Stored {
        let albums: [String]
        if case .ss(let ids)? = item["albums"] { albums = ids } else { albums = [] }
        return Stored(image: try decode(item), version: item["version"]?.int ?? 0, albums: albums)
    }

    /// The whole item of a stored image, for a PutItem that replaces it.
    static func encode(_ stored: Stored) -> DynamoItem {
        var item = encode(stored.image, version: stored.version)
        if !stored.albums.isEmpty { item["albums"] = .ss(stored.albums) }
        return item
    }

    static func encode(_ image: ImageRecord, version: Int = 0) -> DynamoItem {
        var item: DynamoItem = [
            "id": .s(image.id), "ownerID": .s(image.ownerID), "ownerUsername": .s(image.ownerUsername),
            "status": .s(image.status.rawValue), "visibility": .s(image.visibility.rawValue),
            "format": .s(image.format.rawValue), "originalFilename": .s(image.originalFilename),
            "byteSize": .int(image.byteSize), "width": .int(image.width), "height": .int(image.height),
            "sha256": .s(image.sha256), "originalKey": .s(image.originalKey),
            "createdAt": .milliseconds(image.createdAt),
            "createdKey": .s(DynamoTime.sortKey(image.createdAt, id: image.id)),
            "ownerSHA": .s(image.ownerID + "#" + image.sha256), "version": .int(version),
            "title": .s(image.title), "description": .s(image.description),
        ]
        if image.visibility == .public {
            item["feed"] = .s(publicFeed)
            item["publicOwner"] = .s(image.ownerID)
        }
        // A list keeps the owner's order (a set would not, and cannot be empty).
        if !image.tags.isEmpty { item["tags"] = .l(image.tags.map(AttributeValue.s)) }
        if image.encrypted { item["encrypted"] = .bool(true) }
        if let token = image.shareToken { item["shareToken"] = .s(token) }
        if let derivatives = image.derivatives { item["derivatives"] = encode(derivatives) }
        if let reason = image.failureReason { item["failureReason"] = .s(reason) }
        return item
    }

    static func decode(_ item: DynamoItem) throws -> ImageRecord {
        func enumValue<E: RawRepresentable>(_ name: String) throws -> E where E.RawValue == String {
            guard let value = E(rawValue: try item.string(name)) else { throw DynamoDecodingError("bad \(name)") }
            return value
        }
        return ImageRecord(
            id: try item.string("id"), ownerID: try item.string("ownerID"), ownerUsername: try item.string("ownerUsername"),
            status: try enumValue("status"), visibility: try enumValue("visibility"), format: try enumValue("format"),
            originalFilename: try item.string("originalFilename"), byteSize: try item.int("byteSize"),
            width: try item.int("width"), height: try item.int("height"), sha256: try item.string("sha256"),
            originalKey: try item.string("originalKey"),
            derivatives: try item["derivatives"].map { value -> ImageDerivatives in
                guard let map = value.map else { throw DynamoDecodingError("derivatives is not a map") }
                return try decodeDerivatives(map)
            },
            failureReason: item["failureReason"]?.string, createdAt: try item.date("createdAt"),
            title: item["title"]?.string ?? "", description: item["description"]?.string ?? "",
            tags: try tags(item["tags"]), encrypted: item["encrypted"]?.bool ?? false,
            shareToken: item["shareToken"]?.string)
    }

    private static func tags(_ value: AttributeValue?) throws -> [String] {
        guard let value else { return [] }
        guard case .l(let list) = value else { throw DynamoDecodingError("tags is not a list") }
        return try list.map {
            guard let tag = $0.string else { throw DynamoDecodingError("a tag is not a string") }
            return tag
        }
    }

    static func encode(_ d: ImageDerivatives) -> AttributeValue {
        var map: DynamoItem = ["thumbnail": encode(d.thumbnail), "preview": encode(d.preview)]
        if let t = d.thumbnail2x { map["thumbnail2x"] = encode(t) }
        if let placeholder = d.placeholder { map["placeholder"] = .s(placeholder) }
        if let m = d.metadata {
            // Present-but-empty EXIF stays distinguishable from no EXIF: an empty map.
            var meta: DynamoItem = [:]
            if let v = m.cameraMake { meta["cameraMake"] = .s(v) }
            if let v = m.cameraModel { meta["cameraModel"] = .s(v) }
            if let v = m.lens { meta["lens"] = .s(v) }
            if let v = m.exposureTime { meta["exposureTime"] = .s(v) }
            if let v = m.fNumber { meta["fNumber"] = .double(v) }
            if let v = m.iso { meta["iso"] = .int(v) }
            if let v = m.focalLength { meta["focalLength"] = .double(v) }
            if let v = m.takenAt { meta["takenAt"] = .milliseconds(v) }
            if let v = m.latitude { meta["latitude"] = .double(v) }
            if let v = m.longitude { meta["longitude"] = .double(v) }
            map["metadata"] = .m(meta)
        }
        switch d.originalForOthers {
        case nil: break
        case .original?: map["originalForOthers"] = .m(["kind": .s("original")])
        case .withheld?: map["originalForOthers"] = .m(["kind": .s("withheld")])
        case .copy(let key, let byteSize)?:
            map["originalForOthers"] = .m(["kind": .s("copy"), "key": .s(key), "byteSize": .int(byteSize)])
        }
        return .m(map)
    }

    static func decodeDerivatives(_ map: DynamoItem) throws -> ImageDerivatives {
        func derivative(_ name: String) throws -> Derivative {
            guard let d = map[name]?.map else { throw DynamoDecodingError("derivatives lack \(name)") }
            return Derivative(key: try d.string("key"), width: try d.int("width"), height: try d.int("height"),
                              byteSize: try d.int("byteSize"))
        }
        var metadata: PhotoMetadata?
        if let m = map["metadata"]?.map {
            metadata = PhotoMetadata(cameraMake: m["cameraMake"]?.string, cameraModel: m["cameraModel"]?.string,
                                     lens: m["lens"]?.string, exposureTime: m["exposureTime"]?.string,
                                     fNumber: m["fNumber"]?.double, iso: m["iso"]?.int, focalLength: m["focalLength"]?.double,
                                     takenAt: m["takenAt"]?.date, latitude: m["latitude"]?.double,
                                     longitude: m["longitude"]?.double)
        }
        var forOthers: OriginalForOthers?
        if let o = map["originalForOthers"]?.map {
            switch try o.string("kind") {
            case "original": forOthers = .original
            case "withheld": forOthers = .withheld
            case "copy": forOthers = .copy(key: try o.string("key"), byteSize: try o.int("byteSize"))
            case let other: throw DynamoDecodingError("unknown originalForOthers kind \(other)")
            }
        }
        return ImageDerivatives(thumbnail: try derivative("thumbnail"), preview: try derivative("preview"),
                                placeholder: map["placeholder"]?.string, metadata: metadata,
                                originalForOthers: forOthers,
                                thumbnail2x: map["thumbnail2x"] == nil ? nil : try derivative("thumbnail2x"))
    }

    private static func encode(_ d: Derivative) -> AttributeValue {
        .m(["key": .s(d.key), "width": .int(d.width), "height": .int(d.height), "byteSize": .int(d.byteSize)])
    }
}
