import GalleryCore

/// Makes the copy of an original that people other than its owner download when the owner
/// keeps positions to themselves: the same file, pixels untouched, without the places a
/// position is written.
///
/// - EXIF (JPEG APP1, WebP `EXIF`): the GPS block is blanked in place and its pointer removed
///   from IFD0, so every other offset — maker notes included — stays valid. libexif can delete
///   the block too, but re-serialising the whole EXIF moves offsets that maker notes depend on.
/// - XMP packets that mention GPS (JPEG APP1, WebP `XMP `, GIF application extension) and
///   Photoshop blocks that embed EXIF or XMP (JPEG APP13) are dropped whole.
/// - PNG: `eXIf` and the text chunks that carry EXIF or XMP are dropped (a changed chunk would
///   need a new CRC; these chunks are rare in PNGs and never hold the picture).
///
/// Pure Swift over a byte array with every offset checked: it runs in the decoding child
/// beside the decoders, on untrusted files.
public enum PositionStripper {
    public enum Outcome: Equatable {
        /// No position found: the original can be served as it is.
        case nothingFound
        /// The original without its position.
        case stripped([UInt8])
        /// The file's structure could not be followed, so it cannot be known to be clean.
        case unreadable
    }

    public static func strip(_ bytes: [UInt8], format: ImageFormat) -> Outcome {
        switch format {
        case .jpeg: return jpeg(bytes)
        case .png: return png(bytes)
        case .webp: return webp(bytes)
        case .gif: return gif(bytes)
        }
    }

    // MARK: JPEG

    private static let exifHeader: [UInt8] = Array("Exif".utf8) + [0, 0]
    private static let xmpHeaders: [[UInt8]] = [
        Array("http://ns.adobe.com/xap/1.0/".utf8) + [0],
        Array("http://ns.adobe.com/xmp/extension/".utf8) + [0],
    ]
    /// Photoshop image resources 0x0422 (EXIF) and 0x0424 (XMP).
    private static let photoshopEmbedded: [[UInt8]] = [
        Array("8BIM".utf8) + [0x04, 0x22], Array("8BIM".utf8) + [0x04, 0x24],
    ]
    private static let gps: [UInt8] = Array("GPS".utf8)

    /// Segments up to the first scan are copied one by one; from the scan on, the rest of the
    /// file (entropy-coded data, later markers) is copied untouched.
    private static func jpeg(_ b: [UInt8]) -> Outcome {
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return .unreadable }
        var out: [UInt8] = [0xFF, 0xD8]
        out.reserveCapacity(b.count)
        var changed = false
        var i = 2
        while true {
            guard i + 2 <= b.count, b[i] == 0xFF else { return .unreadable }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xDA || marker == 0xD9 { out += b[i...]; break }  // SOS, EOI
            if (0xD0...0xD7).contains(marker) || marker == 0x01 { out += b[i ..< i + 2]; i += 2; continue }
            guard i + 4 <= b.count else { return .unreadable }
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            let end = i + 2 + length
            guard length >= 2, end <= b.count else { return .unreadable }
            let payload = b[i + 4 ..< end]
            if marker == 0xE1, payload.starts(with: exifHeader) {
                var tiff = Array(payload.dropFirst(exifHeader.count))
                switch TIFFPosition.blank(&tiff) {
                case .noPosition:
                    out += b[i ..< end]
                case .blanked:
                    out += b[i ..< i + 4 + exifHeader.count] + tiff
                    changed = true
                case .unreadable:
                    changed = true  // dropped: what it holds cannot be known
                }
            } else if marker == 0xE1, xmpHeaders.contains(where: payload.starts(with:)), contains(payload, gps) {
                changed = true
            } else if marker == 0xED, photoshopEmbedded.contains(where: { contains(payload, $0) }) {
                changed = true
            } else {
                out += b[i ..< end]
            }
            i = end
        }
        return changed ? .stripped(out) : .nothingFound
    }

    // MARK: PNG

    private static let pngTextKeywordsDropped: [[UInt8]] = [
        Array("XML:com.adobe.xmp".utf8) + [0],
        Array("Raw profile type".utf8),  // ImageMagick's hex-encoded exif, APP1, xmp, 8bim …
    ]

    /// Chunks: length (big-endian), type, data, CRC. Everything from IEND on is copied as is.
    private static func png(_ b: [UInt8]) -> Outcome {
        guard b.count >= 8 else { return .unreadable }
        var out = Array(b[0 ..< 8])
        out.reserveCapacity(b.count)
        var changed = false
        var i = 8
        while i < b.count {
            guard i + 12 <= b.count else { return .unreadable }
            let length = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
            let type = String(decoding: b[i + 4 ..< i + 8], as: UTF8.self)
            let end = i + 12 + length
            guard end <= b.count else { return .unreadable }
            if type == "IEND" { out += b[i...]; break }
            let data = b[i + 8 ..< i + 8 + length]
            let isText = type == "tEXt" || type == "zTXt" || type == "iTXt"
            if type == "eXIf" || (isText && pngTextKeywordsDropped.contains(where: data.starts(with:))) {
                changed = true
            } else {
                out += b[i ..< end]
            }
            i = end
        }
        return changed ? .stripped(out) : .nothingFound
    }

    // MARK: WebP

    /// RIFF chunks after the 12-byte header: type, length (little-endian), data, padding to
    /// even. Dropping a chunk also clears its flag in VP8X and shortens the RIFF length.
    private static func webp(_ b: [UInt8]) -> Outcome {
        guard b.count >= 12 else { return .unreadable }
        var out = Array(b[0 ..< 12])
        out.reserveCapacity(b.count)
        var changed = false
        var droppedFlags: UInt8 = 0
        var i = 12
        while i < b.count {
            guard i + 8 <= b.count else { return .unreadable }
            let type = String(decoding: b[i ..< i + 4], as: UTF8.self)
            let length = Int(b[i + 4]) | Int(b[i + 5]) << 8 | Int(b[i + 6]) << 16 | Int(b[i + 7]) << 24
            let dataEnd = i + 8 + length
            guard dataEnd <= b.count else { return .unreadable }
            let end = min(b.count, dataEnd + (length & 1))
            let data = b[i + 8 ..< dataEnd]
            switch type {
            case "EXIF":
                // Some writers keep JPEG's "Exif\0\0" in front of the TIFF data.
                let prefix = data.starts(with: exifHeader) ? exifHeader.count : 0
                var tiff = Array(data.dropFirst(prefix))
                switch TIFFPosition.blank(&tiff) {
                case .noPosition:
                    out += b[i ..< end]
                case .blanked:
                    out += b[i ..< i + 8 + prefix] + tiff + b[dataEnd ..< end]
                    changed = true
                case .unreadable:
                    changed = true
                    droppedFlags |= 0x08
                }
            case "XMP " where contains(data, gps):
                changed = true
                droppedFlags |= 0x04
            default:
                out += b[i ..< end]
            }
            i = end
        }
        guard changed else { return .nothingFound }
        // VP8X, when present, is the first chunk: its flags byte follows the chunk header.
        if droppedFlags != 0, out.count > 20, out[12 ..< 16].elementsEqual("VP8X".utf8) {
            out[20] &= ~droppedFlags
        }
        let riffLength = UInt32(out.count - 8)
        for k in 0 ..< 4 { out[4 + k] = UInt8(truncatingIfNeeded: riffLength >> (8 * UInt32(k))) }
        return .stripped(out)
    }

    // MARK: GIF

    private static let gifXMPIdentifier: [UInt8] = Array("XMP DataXMP".utf8)

    /// Header, logical screen (with its colour table), then blocks: extensions (0x21) and images
    /// (0x2C) made of length-prefixed sub-blocks, up to the trailer (0x3B).
    private static func gif(_ b: [UInt8]) -> Outcome {
        guard b.count >= 13 else { return .unreadable }
        var i = 13
        if b[10] & 0x80 != 0 { i += 3 << (Int(b[10] & 0x07) + 1) }
        guard i <= b.count else { return .unreadable }
        var out = Array(b[0 ..< i])
        out.reserveCapacity(b.count)
        var changed = false
        /// The index just past a run of sub-blocks starting at `start`, or nil if it is cut off.
        func subBlocksEnd(_ start: Int) -> Int? {
            var j = start
            while j < b.count {
                let size = Int(b[j])
                j += 1
                if size == 0 { return j }
                j += size
            }
            return nil
        }
        while true {
            guard i < b.count else { return .unreadable }
            switch b[i] {
            case 0x3B:
                out += b[i...]
                return changed ? .stripped(out) : .nothingFound
            case 0x21:
                guard i + 2 < b.count, let end = subBlocksEnd(i + 2) else { return .unreadable }
                let isXMP = b[i + 1] == 0xFF && b[i + 2] == 11 && b[(i + 3)...].starts(with: gifXMPIdentifier)
                if isXMP, contains(b[i ..< end], gps) {
                    changed = true
                } else {
                    out += b[i ..< end]
                }
                i = end
            case 0x2C:
                guard i + 10 <= b.count else { return .unreadable }
                var start = i + 10
                if b[i + 9] & 0x80 != 0 { start += 3 << (Int(b[i + 9] & 0x07) + 1) }
                guard start < b.count, let end = subBlocksEnd(start + 1) else { return .unreadable }  // + LZW code size
                out += b[i ..< end]
                i = end
            default:
                return .unreadable
            }
        }
    }

    private static func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var i = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while i <= last {
            if haystack[i] == first, haystack[i ..< i + needle.count].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}

/// The GPS block of TIFF-structured EXIF data, blanked in place: the data keeps its length,
/// so nothing after it moves.
enum TIFFPosition {
    enum Result: Equatable { case noPosition, blanked, unreadable }

    static let gpsPointerTag = 0x8825

    static func blank(_ t: inout [UInt8]) -> Result {
        guard t.count >= 8 else { return .unreadable }
        let little: Bool
        switch (t[0], t[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return .unreadable
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= t.count else { return nil }
            return little ? Int(t[at]) | Int(t[at + 1]) << 8 : Int(t[at]) << 8 | Int(t[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let a = u16(at), let b = u16(at + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        func write16(_ value: Int, at: Int) {
            let (hi, lo) = (UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF))
            (t[at], t[at + 1]) = little ? (lo, hi) : (hi, lo)
        }
        func zero(_ range: Range<Int>) { for k in range { t[k] = 0 } }

        guard u16(2) == 42, let ifd0 = u32(4), let count = u16(ifd0) else { return .unreadable }
        let entries = ifd0 + 2
        let entriesEnd = entries + 12 * count
        guard entriesEnd + 4 <= t.count else { return .unreadable }
        guard let index = (0 ..< count).first(where: { u16(entries + 12 * $0) == gpsPointerTag }) else {
            return .noPosition
        }
        guard let gpsIFD = u32(entries + 12 * index + 8), let gpsCount = u16(gpsIFD) else { return .unreadable }
        let gpsEntries = gpsIFD + 2
        guard gpsEntries + 12 * gpsCount <= t.count else { return .unreadable }
        // Values longer than 4 bytes live elsewhere: blank them first, then the entries.
        for k in 0 ..< gpsCount {
            let entry = gpsEntries + 12 * k
            guard let type = u16(entry + 2), let n = u32(entry + 4), let offset = u32(entry + 8) else { return .unreadable }
            let size = typeSize(type) * n
            if size > 4 {
                guard offset >= 8, offset + size <= t.count else { return .unreadable }
                zero(offset ..< offset + size)
            }
        }
        zero(gpsIFD ..< min(t.count, gpsEntries + 12 * gpsCount + 4))
        // Remove the pointer from IFD0: later entries move up one place, the next-IFD offset
        // follows them, and the 12 bytes freed at the end are zeroed.
        let pointer = entries + 12 * index
        let nextIFD = Array(t[entriesEnd ..< entriesEnd + 4])
        for k in pointer ..< entriesEnd - 12 { t[k] = t[k + 12] }
        t.replaceSubrange(entriesEnd - 12 ..< entriesEnd - 8, with: nextIFD)
        zero(entriesEnd - 8 ..< entriesEnd + 4)
        write16(count - 1, at: ifd0)
        return .blanked
    }

    /// Bytes per value of each TIFF field type; unknown types count as 1 (EXIF readers skip
    /// them, and 1 keeps a hostile count from hiding data past 4 bytes).
    private static func typeSize(_ type: Int) -> Int {
        switch type {
        case 3, 8: return 2             // SHORT, SSHORT
        case 4, 9, 11, 13: return 4     // LONG, SLONG, FLOAT, IFD
        case 5, 10, 12: return 8        // RATIONAL, SRATIONAL, DOUBLE
        default: return 1               // BYTE, ASCII, SBYTE, UNDEFINED
        }
    }
}
