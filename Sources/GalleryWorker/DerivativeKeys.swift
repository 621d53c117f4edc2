/// Where an image's derivatives are stored. Fixed per image, so that a retry or a second
/// worker overwrites the same objects instead of leaking new ones.
public struct DerivativeKeys: Equatable, Sendable {
    public var thumbnail: String
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
