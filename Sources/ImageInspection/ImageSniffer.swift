import GalleryCore

/// What the first bytes of a file say it is.
public enum SniffResult: Equatable, Sendable {
    /// A format we decode.
    case supported(ImageFormat)
    /// A kind we recognise but do not accept, with a name people know it by ("HEIC", "PDF"),
    /// so that an upload is refused with a clear message rather than failing later.
    case unsupported(String)
    /// Nothing we recognise.
    case unknown

    public var format: ImageFormat? {
        if case .supported(let format) = self { return format }
        return nil
    }
}

/// Decides a file's type from its magic bytes only — never from its name or a Content-Type.
public enum ImageSniffer {
    /// How many leading bytes `sniff` looks at; fewer are fine for short files.
    public static let headLength = 64

    public static func sniff(_ head: [UInt8]) -> SniffResult {
        let b = head.prefix(headLength)
        if b.starts(with: [0xFF, 0xD8, 0xFF]) { return .supported(.jpeg) }
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .supported(.png) }
        if b.starts(with: ascii("GIF87a")) || b.starts(with: ascii("GIF89a")) { return .supported(.gif) }
        if b.starts(with: ascii("RIFF")), b.count >= 12 {
            switch String(decoding: b[b.startIndex + 8 ..< b.startIndex + 12], as: UTF8.self) {
            case "WEBP": return .supported(.webp)
            case "AVI ": return .unsupported("AVI video")
            case "WAVE": return .unsupported("WAV audio")
            default: return .unsupported("RIFF container")
            }
        }
        if let name = isoMediaKind(Array(b)) { return .unsupported(name) }
        if let name = binaryKind(Array(b)) { return .unsupported(name) }
        if let name = textKind(Array(b)) { return .unsupported(name) }
        return .unknown
    }

    /// The format of a supported file, or `GalleryError.invalid` with a message fit to show
    /// the person who uploaded it.
    public static func requireSupported(_ head: [UInt8]) throws -> ImageFormat {
        switch sniff(head) {
        case .supported(let format):
            return format
        case .unsupported(let name):
            throw GalleryError.invalid("\(name) files are not supported; upload a JPEG, PNG, GIF or WebP image")
        case .unknown:
            throw GalleryError.invalid("this file is not an image; upload a JPEG, PNG, GIF or WebP image")
        }
    }

    /// ISO base media files (HEIF, AVIF, MP4, QuickTime, CR3): a `ftyp` box and its brands.
    private static func isoMediaKind(_ b: [UInt8]) -> String? {
        guard b.count >= 12, b[4 ..< 8].elementsEqual(ascii("ftyp")) else { return nil }
        let boxSize = Int(b[0]) << 24 | Int(b[1]) << 16 | Int(b[2]) << 8 | Int(b[3])
        var brands = [String(decoding: b[8 ..< 12], as: UTF8.self)]
        var i = 16
        while i + 4 <= min(boxSize, b.count) {
            brands.append(String(decoding: b[i ..< i + 4], as: UTF8.self))
            i += 4
        }
        let kinds: [(Set<String>, String)] = [
            (["avif", "avis"], "AVIF"),
            (["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"], "HEIC"),
            (["mif1", "msf1"], "HEIF"),
            (["crx "], "Canon CR3 raw"),
            (["jxl "], "JPEG XL"),
            (["qt  "], "QuickTime video"),
        ]
        // In order of the table: a generic "mif1" HEIF that also lists "heic" is HEIC.
        for (names, kind) in kinds where brands.contains(where: names.contains) { return kind }
        return "MP4 or other ISO media"
    }

    private static func binaryKind(_ b: [UInt8]) -> String? {
        let signatures: [([UInt8], String)] = [
            ([0x49, 0x49, 0x2A, 0x00, 0x10, 0x00, 0x00, 0x00, 0x43, 0x52], "Canon CR2 raw"),
            ([0x49, 0x49, 0x2A, 0x00], "TIFF"),
            ([0x4D, 0x4D, 0x00, 0x2A], "TIFF"),
            ([0x49, 0x49, 0x2B, 0x00], "BigTIFF"),
            ([0x4D, 0x4D, 0x00, 0x2B], "BigTIFF"),
            ([0x49, 0x49, 0x52, 0x4F], "Olympus ORF raw"),
            ([0x49, 0x49, 0x55, 0x00], "Panasonic RW2 raw"),
            (ascii("FUJIFILMCCD-RAW"), "Fujifilm RAF raw"),
            ([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A], "JPEG 2000"),
            ([0xFF, 0x4F, 0xFF, 0x51], "JPEG 2000"),
            ([0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20, 0x0D, 0x0A, 0x87, 0x0A], "JPEG XL"),
            ([0xFF, 0x0A], "JPEG XL"),
            (ascii("8BPS"), "Photoshop PSD"),
            (ascii("qoif"), "QOI"),
            ([0x76, 0x2F, 0x31, 0x01], "OpenEXR"),
            (ascii("%PDF-"), "PDF"),
            (ascii("%!PS"), "PostScript"),
            ([0x50, 0x4B, 0x03, 0x04], "ZIP archive"),
            ([0x1F, 0x8B], "gzip archive"),
            ([0x7F, 0x45, 0x4C, 0x46], "executable"),
        ]
        for (magic, name) in signatures where b.starts(with: magic) { return name }
        // Two-byte magics are weak: confirm with a field that has few legal values.
        if b.starts(with: ascii("BM")), b.count >= 18 {
            let dibHeaderSize = Int(b[14]) | Int(b[15]) << 8 | Int(b[16]) << 16 | Int(b[17]) << 24
            if [12, 40, 52, 56, 64, 108, 124].contains(dibHeaderSize) { return "BMP" }
        }
        if b.count >= 6, b[0] == 0, b[1] == 0, b[2] == 1 || b[2] == 2, b[3] == 0, b[4] != 0 || b[5] != 0 {
            return "Windows icon"
        }
        if b.starts(with: ascii("MZ")) { return "executable" }
        return nil
    }

    /// SVG, XML and HTML, after an optional byte-order mark and white space. The HTML tags are
    /// the WHATWG MIME-sniffing list, so a page a browser would render is never taken for data.
    private static func textKind(_ b: [UInt8]) -> String? {
        var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while i < b.count, [0x09, 0x0A, 0x0C, 0x0D, 0x20].contains(b[i]) { i += 1 }
        let text = String(decoding: b[i...], as: UTF8.self).lowercased()
        if text.hasPrefix("<svg") || text.hasPrefix("<!doctype svg") { return "SVG" }
        if text.hasPrefix("<?xml") { return text.contains("<svg") ? "SVG" : "XML" }
        let tags = ["!doctype html", "html", "head", "script", "iframe", "h1", "div", "font", "table",
                    "a", "style", "title", "b", "body", "br", "p", "!--"]
        for tag in tags where text.hasPrefix("<" + tag) {
            let rest = text.dropFirst(tag.count + 1)
            if tag == "!--" || rest.first == " " || rest.first == ">" { return "HTML" }
        }
        if text.hasPrefix("#!") { return "script" }
        return nil
    }

    private static func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }
}
