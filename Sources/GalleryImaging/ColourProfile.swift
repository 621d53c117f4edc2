import CLCMS2
import CZlib
import Foundation
import GalleryCore

/// The ICC profile a photo is tagged with. Browsers show an untagged WebP as sRGB, and our
/// derivatives carry no metadata, so pixels of any other RGB space (Display P3 from phones,
/// Adobe RGB from cameras) are converted to sRGB through Little CMS; otherwise they would
/// look washed out. sRGB-tagged photos — nearly all — are recognised and left alone.
struct ColourProfile {
    let bytes: [UInt8]

    /// Profiles larger than this are ignored (real ones are a few kB, rarely a few hundred).
    static let maxBytes = 4 << 20

    // MARK: Finding the profile

    /// A profile, unless it is empty or larger than `maxBytes`.
    init?(bytes: [UInt8]) {
        guard !bytes.isEmpty, bytes.count <= Self.maxBytes else { return nil }
        self.bytes = bytes
    }

    /// The profile embedded in a PNG or WebP, if any (libjpeg-turbo finds a JPEG's, see
    /// `JPEGDecoder`; GIF has none).
    static func embedded(in data: Data, format: ImageFormat) -> ColourProfile? {
        switch format {
        case .png: return png(data).flatMap(ColourProfile.init(bytes:))
        case .webp: return webp(data).flatMap(ColourProfile.init(bytes:))
        case .jpeg, .gif: return nil
        }
    }

    /// The `ICCP` chunk of an extended WebP.
    private static func webp(_ d: Data) -> [UInt8]? {
        var i = d.startIndex + 12
        while i + 8 <= d.endIndex {
            let length = Int(d[i + 4]) | Int(d[i + 5]) << 8 | Int(d[i + 6]) << 16 | Int(d[i + 7]) << 24
            guard i + 8 + length <= d.endIndex else { return nil }
            if d[i ..< i + 4].elementsEqual("ICCP".utf8) { return Array(d[i + 8 ..< i + 8 + length]) }
            i += 8 + length + (length & 1)
        }
        return nil
    }

    /// The `iCCP` chunk of a PNG (before IDAT): a name, NUL, method 0, then zlib data.
    private static func png(_ d: Data) -> [UInt8]? {
        var i = d.startIndex + 8
        while i + 12 <= d.endIndex {
            let length = Int(d[i]) << 24 | Int(d[i + 1]) << 16 | Int(d[i + 2]) << 8 | Int(d[i + 3])
            guard i + 12 + length <= d.endIndex else { return nil }
            let type = d[i + 4 ..< i + 8]
            if type.elementsEqual("IDAT".utf8) { return nil }
            if type.elementsEqual("iCCP".utf8) {
                let chunk = d[i + 8 ..< i + 8 + length]
                guard let nul = chunk.prefix(80).firstIndex(of: 0), nul + 1 < chunk.endIndex, chunk[nul + 1] == 0 else { return nil }
                return inflate(Array(chunk[(nul + 2)...]), limit: maxBytes)
            }
            i += 12 + length
        }
        return nil
    }

    /// zlib data inflated, or nil if it is damaged or inflates past `limit`.
    static func inflate(_ input: [UInt8], limit: Int) -> [UInt8]? {
        var stream = z_stream()
        guard czlib_inflate_init(&stream) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var input = input
        return input.withUnsafeMutableBufferPointer { source -> [UInt8]? in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return (status, out.count - Int(stream.avail_out))
                }
                output += chunk[0 ..< produced]
                guard output.count <= limit else { return nil }
                switch status {
                case Z_STREAM_END: return output
                case Z_OK where produced > 0 || stream.avail_in > 0: continue
                default: return nil  // damaged, or ends early
                }
            }
        }
    }

    // MARK: Converting

    /// Converts the pixels of `image` from this profile to sRGB, in place, alpha untouched.
    /// Returns false, changing nothing, when there is nothing to do: the profile is sRGB (or
    /// close enough not to show), not an RGB profile (a CMYK JPEG's, already turned into RGB
    /// by the decoder; a grey one), or unreadable — a bad profile never fails the photo.
    @discardableResult
    func convertToSRGB(_ image: GDImage) -> Bool {
        guard let source = bytes.withUnsafeBytes({ cmsOpenProfileFromMem($0.baseAddress, cmsUInt32Number($0.count)) }) else {
            return false
        }
        defer { cmsCloseProfile(source) }
        guard cmsGetColorSpace(source) == cmsSigRgbData, let srgb = cmsCreate_sRGBProfile() else { return false }
        defer { cmsCloseProfile(srgb) }
        if Self.matches(source, srgb) || Self.namesSRGB(source) { return false }
        // Relative colorimetric, as browsers display tagged images: in-gamut colours keep
        // their appearance, out-of-gamut ones are clipped.
        guard let transform = cmsCreateTransform(source, clcms2_type_bgra_8, srgb, clcms2_type_bgra_8,
                                                 cmsUInt32Number(INTENT_RELATIVE_COLORIMETRIC),
                                                 cmsUInt32Number(cmsFLAGS_COPY_ALPHA)) else {
            return false
        }
        defer { cmsDeleteTransform(transform) }
        if Self.isIdentity(transform) { return false }
        let rows = image.rows
        for y in 0 ..< image.height {
            guard let row = rows[y] else { continue }
            cmsDoTransform(transform, row, row, cmsUInt32Number(image.width))
        }
        return true
    }

    /// A profile that calls itself sRGB is taken at its word. ICC v4 "sRGB preference"
    /// profiles describe sRGB through perceptual tables that lift the shadows by design;
    /// applying them would make the thumbnail differ from the photo as most viewers show it.
    static func namesSRGB(_ profile: cmsHPROFILE) -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        let length = cmsGetProfileInfoASCII(profile, cmsInfoDescription, "en", "US", &buffer, cmsUInt32Number(buffer.count))
        guard length > 0 else { return false }
        let description = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return description.range(of: "sRGB", options: .caseInsensitive) != nil
    }

    /// Whether the transform leaves every colour of a 6×6×6 grid within one level: an sRGB
    /// profile built from lookup tables (ICC v4's sRGB) rather than primaries and curves.
    static func isIdentity(_ transform: cmsHTRANSFORM) -> Bool {
        let levels: [UInt32] = [0, 51, 102, 153, 204, 255]
        var probe: [UInt32] = []
        for r in levels { for g in levels { for b in levels { probe.append(0xFF00_0000 | r << 16 | g << 8 | b) } } }
        var out = probe
        cmsDoTransform(transform, probe, &out, cmsUInt32Number(probe.count))
        return zip(probe, out).allSatisfy { a, b in
            [16, 8, 0].allSatisfy { shift in abs(Int(a >> shift & 0xFF) - Int(b >> shift & 0xFF)) <= 1 }
        }
    }

    /// Same primaries and tone curves as sRGB (within what 8 bits can show): the many
    /// re-issued sRGB profiles, compact ones included, count as sRGB.
    static func matches(_ a: cmsHPROFILE, _ b: cmsHPROFILE) -> Bool {
        let colorants = [cmsSigRedColorantTag, cmsSigGreenColorantTag, cmsSigBlueColorantTag]
        for tag in colorants {
            guard let x = cmsReadTag(a, tag)?.assumingMemoryBound(to: cmsCIEXYZ.self).pointee,
                  let y = cmsReadTag(b, tag)?.assumingMemoryBound(to: cmsCIEXYZ.self).pointee,
                  abs(x.X - y.X) < 0.002, abs(x.Y - y.Y) < 0.002, abs(x.Z - y.Z) < 0.002 else { return false }
        }
        for tag in [cmsSigRedTRCTag, cmsSigGreenTRCTag, cmsSigBlueTRCTag] {
            // cmsToneCurve is opaque to Swift.
            guard let x = cmsReadTag(a, tag).map(OpaquePointer.init),
                  let y = cmsReadTag(b, tag).map(OpaquePointer.init) else { return false }
            for v in stride(from: Float(0.05), through: 1, by: 0.05)
            where abs(cmsEvalToneCurveFloat(x, v) - cmsEvalToneCurveFloat(y, v)) > 0.5 / 255 {
                return false
            }
        }
        return true
    }
}
