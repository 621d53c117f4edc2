import Foundation
import GalleryCore
import ImageInspection

/// The derivatives to make. Sizes are the longest edge in pixels; an image is never upscaled.
public struct ThumbnailSpec: Equatable, Sendable {
    public var thumbnailSize: Int
    public var previewSize: Int
    /// WebP quality 1–100, or 101 for lossless (libgd's convention).
    public var quality: Int
    /// The inlined placeholder's longest edge; 0 makes none.
    public var placeholderSize: Int

    public init(thumbnailSize: Int = 320, previewSize: Int = 1280, quality: Int = 80, placeholderSize: Int = 24) {
        self.thumbnailSize = thumbnailSize
        self.previewSize = previewSize
        self.quality = quality
        self.placeholderSize = placeholderSize
    }

    func validate() throws {
        let sizes = 1 ... WebPEncoder.maxDimension
        guard sizes.contains(thumbnailSize), sizes.contains(previewSize) else {
            throw GalleryError.invalid("thumbnail and preview sizes must be 1–\(WebPEncoder.maxDimension) pixels")
        }
        guard (1 ... 101).contains(quality) else { throw GalleryError.invalid("WebP quality must be 1–101") }
        guard (0 ... 64).contains(placeholderSize) else {
            throw GalleryError.invalid("the placeholder size must be 0–64 pixels")
        }
    }
}

/// One encoded derivative: WebP bytes and the size they show at.
public struct EncodedImage: Equatable, Sendable {
    public var data: Data
    public var width: Int
    public var height: Int

    public init(data: Data, width: Int, height: Int) {
        self.data = data
        self.width = width
        self.height = height
    }
}

public struct ThumbnailSet: Equatable, Sendable {
    public var thumbnail: EncodedImage
    public var preview: EncodedImage
    /// The thumbnail at twice its longest edge (at most the preview's), for HiDPI screens; nil
    /// when the preview is no larger than the thumbnail.
    public var thumbnail2x: EncodedImage?
    /// A `data:image/webp;base64,…` URL of a tiny version, small enough to inline in a page.
    public var placeholder: String?
    /// From EXIF; nil when the file has none of its fields.
    public var metadata: PhotoMetadata?

    public init(thumbnail: EncodedImage, preview: EncodedImage, placeholder: String?, metadata: PhotoMetadata?,
                thumbnail2x: EncodedImage? = nil) {
        self.thumbnail = thumbnail
        self.thumbnail2x = thumbnail2x
        self.preview = preview
        self.placeholder = placeholder
        self.metadata = metadata
    }
}

/// Makes an image's derivatives: upright, downscaled, WebP-encoded.
public enum Thumbnailer {
    /// The placeholder is shown blurred for a moment; bytes matter more than fidelity there.
    static let placeholderQuality = 40

    /// Checks the file's type and header size again (an upload was checked, but the worker
    /// trusts nothing), refuses more than `maxPixels` before decoding anything, then decodes
    /// to the preview's size (a JPEG shrunk on load and filtered while it decodes), turns it
    /// upright, converts it to sRGB if it is tagged otherwise, and makes the thumbnail and
    /// placeholder from the preview.
    /// Throws `GalleryError.invalid` for a file that is not a supported image or is corrupt,
    /// `.tooLarge` over the pixel limit, `.notFound` when the file cannot be opened.
    public static func make(file: URL, spec: ThumbnailSpec, maxPixels: Int) throws -> ThumbnailSet {
        try spec.validate()
        let header = try ImageHeader.read(file: file)
        try header.checkPixelLimit(maxPixels)

        let (preview, exif, profile) = try previewImage(file: file, header: header, longestEdge: spec.previewSize)
        let upright = try exif.orientation.apply(to: preview)
        // At the preview's size: a tenth of the pixels of a camera photo to convert.
        profile?.convertToSRGB(upright)

        let thumbnail = try downscaled(upright, longestEdge: spec.thumbnailSize)
        // From the preview, like the 1x: one decode serves every derivative.
        let thumbnail2x = max(upright.width, upright.height) > max(thumbnail.width, thumbnail.height)
            ? try downscaled(upright, longestEdge: 2 * spec.thumbnailSize) : nil
        var placeholder: String?
        if spec.placeholderSize > 0 {
            let tiny = try downscaled(thumbnail, longestEdge: spec.placeholderSize)
            let bytes = try WebPEncoder.encode(tiny, quality: min(spec.quality, placeholderQuality))
            placeholder = "data:image/webp;base64," + bytes.base64EncodedString()
        }
        return ThumbnailSet(thumbnail: try encode(thumbnail, quality: spec.quality),
                            preview: try encode(upright, quality: spec.quality),
                            placeholder: placeholder, metadata: exif.metadata,
                            thumbnail2x: try thumbnail2x.map { try encode($0, quality: spec.quality) })
    }

    /// The preview-size image, the file's EXIF and colour profile. For JPEG the decoder makes the preview
    /// itself; other formats are decoded whole by libgd and resampled, the decoded image
    /// living only in here so that it is freed before anything is encoded.
    private static func previewImage(file: URL, header: ImageHeaderInfo,
                                     longestEdge: Int) throws -> (GDImage, EXIFInfo, ColourProfile?) {
        switch header.format {
        case .jpeg:
            // The stored size, not a DCT-scaled one, decides the preview's size, so that the
            // scaled decode's rounding never changes it.
            let (width, height) = fitted(width: header.width, height: header.height, longestEdge: longestEdge)
            let decoded = try JPEGDecoder.decode(file: file, header: header, width: width, height: height)
            return (decoded.image, decoded.exif.map(EXIFReader.read) ?? EXIFInfo(),
                    decoded.iccProfile.flatMap(ColourProfile.init(bytes:)))
        case .png, .gif, .webp:
            let data: Data
            do {
                data = try Data(contentsOf: file)
            } catch {
                throw GalleryError.notFound
            }
            let decoded = try GDDecoder.decode(data, header: header)  // a GIF's frame may be smaller than its screen
            let exif = EmbeddedEXIF.find(in: data, format: header.format).map(EXIFReader.read) ?? EXIFInfo()
            return (try downscaled(decoded, longestEdge: longestEdge), exif, ColourProfile.embedded(in: data, format: header.format))
        }
    }

    private static func downscaled(_ image: GDImage, longestEdge: Int) throws -> GDImage {
        let (width, height) = fitted(width: image.width, height: image.height, longestEdge: longestEdge)
        if width == image.width, height == image.height { return image }
        return try image.resized(width: width, height: height)
    }

    private static func encode(_ image: GDImage, quality: Int) throws -> EncodedImage {
        EncodedImage(data: try WebPEncoder.encode(image, quality: quality), width: image.width, height: image.height)
    }

    /// The size with the longest edge at most `longestEdge`, aspect kept, never larger.
    static func fitted(width: Int, height: Int, longestEdge: Int) -> (width: Int, height: Int) {
        let longest = max(width, height)
        guard longest > longestEdge else { return (width, height) }
        let scale = Double(longestEdge) / Double(longest)
        return (max(1, Int((Double(width) * scale).rounded())), max(1, Int((Double(height) * scale).rounded())))
    }
}
