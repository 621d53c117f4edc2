/// Builds a piece of HTML as UTF-8 bytes for the parts of pages rendered in Swift (the tile
/// grid). Escaping is the default: `text` escapes whatever it is given exactly as the templates
/// escape `{{value}}` (`& < > " '`), and markup can only be a string literal of our own.
struct HTMLWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Our own markup: a literal in the source, never data.
    mutating func markup(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { source in
            var start = 0
            for (index, byte) in source.enumerated() where byte <= 62 {  // '>' is the highest of the five
                let entity: StaticString
                switch byte {
                case 38: entity = "&amp;"
                case 60: entity = "&lt;"
                case 62: entity = "&gt;"
                case 34: entity = "&quot;"
                case 39: entity = "&#39;"
                default: continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[start..<index]))
                markup(entity)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[start...]))
        }
    }

    mutating func number(_ value: Int) {
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A data URL checked to hold nothing that needs escaping.
    mutating func dataURL(_ url: SafeDataURL) {
        bytes.append(contentsOf: url.value.utf8)
    }
}

/// A base64 WebP data URL: letters, digits, `+ / =` after the prefix, so it can go into an
/// attribute unescaped (escaping a kilobyte of base64 per tile would be most of a grid's
/// render time, and there is nothing in it to escape).
struct SafeDataURL {
    let value: String

    init?(_ url: String) {
        let prefix = "data:image/webp;base64,"
        guard url.hasPrefix(prefix) else { return nil }
        var url = url
        let safe = url.withUTF8 { bytes in
            bytes[prefix.utf8.count...].allSatisfy {
                ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 43 || $0 == 47 || $0 == 61
            }
        }
        guard safe else { return nil }
        value = url
    }
}
