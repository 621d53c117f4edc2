import Foundation

/// A file part of a multipart body, already on disk. The file belongs to the caller once
/// `MultipartParser.finish()` returns it: move it into the blob store or delete it.
public struct UploadedFile: Sendable, Equatable {
    public let fieldName: String
    /// For display only: the last path component, control and format characters removed,
    /// at most 255 Unicode scalars. May be empty. Never use it as a path.
    public let filename: String
    /// What the client claimed; informational only, sniff `head` instead.
    public let declaredContentType: String?
    /// A private (0600) temporary file.
    public let file: URL
    public let byteSize: Int
    /// SHA-256 of the content, lowercase hex.
    public let sha256: String
    /// The first 64 bytes (fewer if the file is shorter), for magic-byte sniffing.
    public let head: [UInt8]

    public static let headLength = 64

    public init(fieldName: String, filename: String, declaredContentType: String?, file: URL,
                byteSize: Int, sha256: String, head: [UInt8]) {
        self.fieldName = fieldName
        self.filename = filename
        self.declaredContentType = declaredContentType
        self.file = file
        self.byteSize = byteSize
        self.sha256 = sha256
        self.head = head
    }
}

/// Client-sent filenames made safe to show: `C:\Users\me\cat.jpg`, `../../etc/passwd`, or a
/// name with a right-to-left override must not reach a page or a log as sent.
enum UploadFilename {
    static let maxScalars = 255

    static func sanitized(_ raw: String) -> String {
        var kept = String.UnicodeScalarView()
        for scalar in raw.unicodeScalars {
            if scalar == "/" || scalar == "\\" {
                kept.removeAll(keepingCapacity: true)  // keep only what follows the last separator
                continue
            }
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate:
                continue
            default:
                kept.append(scalar)
            }
        }
        var name = String(String.UnicodeScalarView(kept.prefix(maxScalars)))
        name = name.trimmingCharacters(in: .whitespaces)
        return name == "." || name == ".." ? "" : name
    }

    /// RFC 5987 / 8187 `filename*`: `charset'language'percent-encoded`. Nil when it does not
    /// decode, so the plain `filename` is used instead.
    static func decodeExtended(_ value: String) -> String? {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3 else { return nil }
        var bytes = [UInt8]()
        let encoded = Array(pieces[2].utf8)
        var i = 0
        while i < encoded.count {
            if encoded[i] == UInt8(ascii: "%") {
                guard i + 2 < encoded.count, let hi = URLEncoded.hexValue(encoded[i + 1]),
                      let lo = URLEncoded.hexValue(encoded[i + 2]) else { return nil }
                bytes.append(hi << 4 | lo)
                i += 3
            } else {
                bytes.append(encoded[i])
                i += 1
            }
        }
        switch pieces[0].lowercased() {
        case "utf-8": return String(validating: bytes, as: UTF8.self)
        case "iso-8859-1": return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        default: return nil
        }
    }

    /// Browsers send a `"` in a filename as `%22` (HTML standard, multipart/form-data
    /// encoding); CR and LF likewise, but those are removed as control characters anyway.
    static func unescapeBrowserQuotes(_ value: String) -> String {
        value.replacingOccurrences(of: "%22", with: "\"")
    }
}
