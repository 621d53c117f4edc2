/// The storage-key layout, built and parsed in this one place: the upload path, the worker,
/// the orphan sweep and both blob stores agree on it by using it.
///
/// - `originals/<xx>/<id>.<ext>`: the upload (`.fernet` for an encrypted one), spread over 256
///   folders by the id's last, random characters (its first ones are a timestamp and would put
///   years of uploads in one folder);
/// - `thumbs/<id>-v<claim>.webp`, `thumbs/<id>-v<claim>-2x.webp` (twice the size, for HiDPI
///   screens), `previews/<id>-v<claim>.webp`, `stripped/<id>-v<claim>`: the derivatives one
///   claim of the thumbnail job made (`DerivativeKeys`); images processed before claims named
///   their keys have `thumbs/<id>.webp` and so on.
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
            return derivativeOwner(segments[1])
        case ("thumbs", 2), ("previews", 2):
            guard segments[1].hasSuffix(".webp") else { return nil }
            return derivativeOwner(segments[1].dropLast(".webp".count))
        default:
            return nil
        }
    }

    /// "<id>" or "<id>-<suffix>" (no dots) → the id.
    private static func derivativeOwner(_ stem: Substring) -> String? {
        guard !stem.isEmpty, !stem.contains(".") else { return nil }
        let id = stem.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return id.isEmpty ? nil : String(id)
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

/// Where one claim of an image's thumbnail job stores the derivatives it makes. The keys carry
/// the claim (the job's version when it was claimed), so a worker whose lease was taken over
/// can never write over the files of the lease's new owner: it writes its own, which no record
/// names, and removes them when it finds the lease lost (what a crash leaves of them, the
/// sweep removes). The record names the winner's keys.
public struct DerivativeKeys: Equatable, Sendable {
    public var thumbnail: String
    /// The thumbnail at twice its size (`ImageDerivatives.thumbnail2x`).
    public var thumbnail2x: String
    public var preview: String
    /// The original without its position (`OriginalForOthers.copy`).
    public var withoutPosition: String

    /// `claim`: nil for the fixed keys of images processed before keys carried the claim.
    public init(imageID: String, claim: Int? = nil) {
        let stem = claim.map { "\(imageID)-v\($0)" } ?? imageID
        thumbnail = "thumbs/\(stem).webp"
        thumbnail2x = "thumbs/\(stem)-2x.webp"
        preview = "previews/\(stem).webp"
        withoutPosition = "stripped/\(stem)"
    }

    public var all: [String] { [thumbnail, thumbnail2x, preview, withoutPosition] }
}

extension ImageRecord {
    /// The blobs this record names: its original and its derivatives. Any other blob under an
    /// image's prefixes is a leftover (a lost claim's, a crashed attempt's, a replaced one).
    public var namedBlobKeys: [String] { [originalKey] + (derivatives?.blobKeys ?? []) }
}
