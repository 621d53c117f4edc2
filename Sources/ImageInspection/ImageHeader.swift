import Foundation
import GalleryCore

/// An image's format and stored size, read from its header without decoding.
/// JPEG sizes are as stored: EXIF orientations 5–8 show the picture turned a quarter, with
/// width and height swapped; orienting is the decoder's business.
public struct ImageHeaderInfo: Equatable, Sendable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int

    public init(format: ImageFormat, width: Int, height: Int) {
        self.format = format
        self.width = width
        self.height = height
    }

    public var pixelCount: Int { width * height }

    /// Refuses an image with more than `maxPixels` pixels (a decompression bomb, or simply too
    /// big to thumbnail), before anything allocates for it.
    public func checkPixelLimit(_ maxPixels: Int) throws {
        guard pixelCount <= maxPixels else {
            throw GalleryError.tooLarge(
                "the image is \(width)×\(height) pixels (\(megapixels(pixelCount)) megapixels); the limit is \(megapixels(maxPixels)) megapixels")
        }
    }

    private func megapixels(_ n: Int) -> String {
        String(format: "%.1f", Double(n) / 1_000_000)
    }
}

public enum ImageHeader {
    /// How far into a file the header may be looked for. JPEG segments before the frame header
    /// (EXIF, ICC, XMP, Photoshop) are a few hundred KB in real files; more is not a photo.
    public static let scanLimit = 4 * 1024 * 1024

    public static func read(file: URL) throws -> ImageHeaderInfo {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: file)
        } catch {
            throw GalleryError.notFound
        }
        defer { try? handle.close() }  // read-only: a failed close loses nothing
        var source = FileSource(handle: handle, limit: scanLimit)
        return try read(&source)
    }

    public static func read(bytes: [UInt8]) throws -> ImageHeaderInfo {
        var source = BytesSource(bytes, limit: scanLimit)
        return try read(&source)
    }

    private static func read(_ source: inout some HeaderSource) throws -> ImageHeaderInfo {
        var format = ImageFormat.jpeg
        do {
            var probe = source
            let head = try probe.readUpTo(ImageSniffer.headLength)
            format = try ImageSniffer.requireSupported(head)
            let size: (width: Int, height: Int)
            switch format {
            case .jpeg: size = try JPEGHeader.dimensions(&source)
            case .png: size = try PNGHeader.dimensions(&source)
            case .gif: size = try GIFHeader.dimensions(&source)
            case .webp: size = try WebPHeader.dimensions(&source)
            }
            return ImageHeaderInfo(format: format, width: size.width, height: size.height)
        } catch HeaderSourceError.truncated {
            throw GalleryError.invalid("the \(format.displayName) file ends inside its header")
        } catch HeaderSourceError.scanLimit(let limit) {
            throw GalleryError.invalid("no \(format.displayName) image header in the first \(limit / 1024 / 1024) MB")
        }
    }
}

extension HeaderSource {
    /// Up to `count` bytes: fewer if the data is shorter (for sniffing tiny files).
    mutating func readUpTo(_ count: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count {
            do { bytes.append(try byte()) } catch HeaderSourceError.truncated { break }
        }
        return bytes
    }
}

extension ImageFormat {
    var displayName: String {
        switch self {
        case .jpeg: return "JPEG"
        case .png: return "PNG"
        case .gif: return "GIF"
        case .webp: return "WebP"
        }
    }
}
