import CJPEG
import Foundation
import GalleryCore
import ImageInspection

/// JPEG through libjpeg-turbo, shrunk on load: its DCT scaling decodes at 1/2, 1/4 or 1/8 of
/// the stored size for a fraction of the work and memory of a full decode, straight into
/// libgd's rows.
enum JPEGDecoder {
    struct Decoded {
        var image: GDImage
        /// The APP1 EXIF block, "Exif\0\0" included.
        var exif: [UInt8]?
        var scaleDenominator: Int
    }

    /// Real progressive files have about ten scans; each is a pass over the whole image.
    static let maxScans: Int32 = 100

    /// The largest DCT scale whose output keeps the longest edge at least `minimumLongestEdge`.
    static func scaleDenominator(width: Int, height: Int, minimumLongestEdge: Int) -> Int {
        let longest = max(width, height)
        for denominator in [8, 4, 2] where (longest + denominator - 1) / denominator >= minimumLongestEdge {
            return denominator
        }
        return 1
    }

    /// Decodes `file`, whose header was read as `header`, shrunk as far as keeps the longest
    /// edge at least `minimumLongestEdge`. The decoder and its coefficient buffers are freed
    /// before this returns, so they never coexist with the resampled images.
    static func decode(file: URL, header: ImageHeaderInfo, minimumLongestEdge: Int) throws -> Decoded {
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

        let denominator = scaleDenominator(width: header.width, height: header.height,
                                           minimumLongestEdge: minimumLongestEdge)
        var width: UInt32 = 0, height: UInt32 = 0
        guard cjpeg_start(decoder, UInt32(denominator), &width, &height) == 0 else { throw failure() }
        let image = try GDImage(width: Int(width), height: Int(height))
        guard cjpeg_read_rows(decoder, image.rows) == 0 else { throw failure() }
        return Decoded(image: image, exif: exif, scaleDenominator: denominator)
    }
}
