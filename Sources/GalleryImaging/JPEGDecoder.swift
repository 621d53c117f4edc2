import CJPEG
import Foundation
import GalleryCore
import ImageInspection

/// JPEG through libjpeg-turbo, shrunk on load: its DCT scaling decodes at 1/2, 1/4 or 1/8 of
/// the stored size for a fraction of the work, then a Lanczos-3 filter reduces the rows to the
/// requested size as they are decoded, straight into libgd's rows. The full-size image never
/// exists; a progressive file's coefficients (which libjpeg must keep) are the largest buffer.
enum JPEGDecoder {
    struct Decoded {
        var image: GDImage
        /// The APP1 EXIF block, "Exif\0\0" included.
        var exif: [UInt8]?
        /// The embedded ICC profile.
        var iccProfile: [UInt8]?
        var scaleDenominator: Int
    }

    /// Real progressive files have about ten scans; each is a pass over the whole image.
    static let maxScans: Int32 = 100

    /// DCT scaling stops while this much of the reduction is left to the Lanczos filter:
    /// libjpeg's scaled IDCT is a cruder low-pass than the filter, so it does the coarse part.
    static let filterHeadroom = 2

    /// The largest DCT scale whose output keeps the longest edge at least `minimumLongestEdge`.
    static func scaleDenominator(width: Int, height: Int, minimumLongestEdge: Int) -> Int {
        let longest = max(width, height)
        for denominator in [8, 4, 2] where (longest + denominator - 1) / denominator >= minimumLongestEdge {
            return denominator
        }
        return 1
    }

    /// Decodes `file`, whose header was read as `header`, at `width` × `height` (no larger
    /// than stored). The decoder and its buffers are freed before this returns.
    static func decode(file: URL, header: ImageHeaderInfo, width: Int, height: Int) throws -> Decoded {
        guard (1 ... header.width).contains(width), (1 ... header.height).contains(height) else {
            throw GalleryError.invalid("cannot decode a \(header.width)×\(header.height) JPEG at \(width)×\(height)")
        }
        guard let stream = fopen(file.path, "rb") else { throw GalleryError.notFound }
        defer { fclose(stream) }
        guard let decoder = cjpeg_create(stream, maxScans) else {
            throw GalleryError.tooLarge("no memory for a JPEG decoder")
        }
        defer { cjpeg_destroy(decoder) }
        func failure() -> GalleryError {
            .invalid("corrupt JPEG: \(String(cString: cjpeg_error(decoder)))")
        }

        var info = cjpeg_header()
        guard cjpeg_read_header(decoder, &info) == 0 else { throw failure() }
        // libjpeg must agree with the header the pixel limit was checked against.
        guard Int(info.width) == header.width, Int(info.height) == header.height else {
            throw GalleryError.invalid("corrupt JPEG: its headers disagree on its size")
        }
        let exif = info.exif.map { Array(UnsafeBufferPointer(start: $0, count: Int(info.exif_length))) }
        let icc = info.icc.map { Array(UnsafeBufferPointer(start: $0, count: Int(info.icc_length))) }

        let denominator = scaleDenominator(width: header.width, height: header.height,
                                           minimumLongestEdge: filterHeadroom * max(width, height))
        var scaledWidth: UInt32 = 0, scaledHeight: UInt32 = 0
        let resampling: Int32 = (width, height) == (header.width, header.height) ? 0 : 1
        guard cjpeg_start(decoder, UInt32(denominator), resampling, &scaledWidth, &scaledHeight) == 0 else {
            throw failure()
        }
        let image = try GDImage(width: width, height: height)
        guard cjpeg_read_rows(decoder, image.rows, UInt32(width), UInt32(height)) == 0 else { throw failure() }
        image.opaque = true
        return Decoded(image: image, exif: exif, iccProfile: icc, scaleDenominator: denominator)
    }
}
