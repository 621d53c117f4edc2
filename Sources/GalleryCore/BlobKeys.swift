/// The storage-key layout, built and parsed in this one place: the upload path, the worker,
/// the orphan sweep and both blob stores agree on it by using it.
///
/// - `originals/<xx>/<id>.<ext>`: the upload (`.fernet` for an encrypted one), spread over 256
///   folders by the id's last, random characters (its first ones are a timestamp and would put
///   years of uploads in one folder);
/// - `thumbs/<id>.webp`, `thumbs/<id>-2x.webp`, `previews/<id>.webp`, `stripped/<id>`: the
///   derivatives (`DerivativeKeys`).
public enum BlobKeys {
    /// Every prefix under which an image's blobs live (the sweep walks these).
    public static let prefixes = ["originals/", "thumbs/", "previews/", "stripped/"]

    public static func original(imageID: String, fileExtension: String) -> String {
        "originals/\(imageID.suffix(2))/\(imageID).\(fileExtension)"
    }

    /// An original stored as a Fernet token (the owner keeps the key).
    public static func encryptedOriginal(imageID: String) -> String {
        original(imageID: imageID, fileExtension: "fernet")
    }

    /// Which image a blob belongs to, from its key; nil for a key of any other shape.
    public static func imageID(of key: String) -> String? {
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        switch (segments.first, segments.count) {
        case ("originals", 3):
            let parts = segments[2].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
            return String(parts[0])
        case ("stripped", 2):
            let id = segments[1]
            return id.isEmpty || id.contains(".") ? nil : String(id)
        case ("thumbs", 2), ("previews", 2):
            guard segments[1].hasSuffix(".webp") else { return nil }
            var id = segments[1].dropLast(".webp".count)
            if segments.first == "thumbs", id.hasSuffix("-2x") { id = id.dropLast(3) }  // the 2x thumbnail
            return id.isEmpty || id.contains(".") ? nil : String(id)
        default:
            return nil
        }
    }

    /// What any blob store accepts as a key: lower-case letters, digits, `/._-`, at most 512
    /// bytes, no empty segment and no segment starting with a dot (so a key can never climb out
    /// of the store's folder, and names starting with a dot stay free for writes in progress).
    /// The same rule on every backend, so a key means the same object everywhere.
    public static func check(_ key: String) throws {
        let bad = GalleryError.invalid("bad blob key")
        guard !key.isEmpty, key.utf8.count <= 512 else { throw bad }
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                throw bad
            }
        }
        guard key.split(separator: "/", omittingEmptySubsequences: false).allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") }) else {
            throw bad
        }
    }
}

/// Where an image's derivatives are stored. Fixed per image, so that a retry or a second
/// worker overwrites the same objects instead of leaking new ones.
public struct DerivativeKeys: Equatable, Sendable {
    public var thumbnail: String
    /// The thumbnail at twice its size (`ImageDerivatives.thumbnail2x`).
    public var thumbnail2x: String
    public var preview: String
    /// The original without its position (`OriginalForOthers.copy`).
    public var withoutPosition: String

    public init(imageID: String) {
        thumbnail = "thumbs/\(imageID).webp"
        thumbnail2x = "thumbs/\(imageID)-2x.webp"
        preview = "previews/\(imageID).webp"
        withoutPosition = "stripped/\(imageID)"
    }

    public var all: [String] { [thumbnail, thumbnail2x, preview, withoutPosition] }
}
