import Foundation
import GalleryHTTP

/// Builds a piece of HTML for the parts of pages rendered in Swift (the tile grid). Escaping is
/// the default: `text` escapes whatever it is given exactly as the templates escape
/// `{{value}}` (`& < > " '`); markup can only be a string literal of our own.
struct HTMLWriter {
    /// Appending to a String piece by piece costs more than to bytes; bytes cost a UTF-8 check
    /// when they become a String. So: bytes, moved into `done` before each data URL (a
    /// kilobyte that is a String already) and at the end.
    private var done = ""
    private var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        done.reserveCapacity(capacity)
        bytes.reserveCapacity(min(capacity, 4096))
    }

    var html: String {
        mutating get {
            flush()
            return done
        }
    }

    private mutating func flush() {
        done += String(decoding: bytes, as: UTF8.self)
        bytes.removeAll(keepingCapacity: true)
    }

    /// Our own markup: only a literal in the source, never data.
    mutating func markup(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { source in
            // No early exit, so the scan is vectorised; most values have nothing to escape.
            var special: UInt8 = 0
            for byte in source {
                special |= (byte == 38 || byte == 60 || byte == 62 || byte == 34 || byte == 39) ? 1 : 0
            }
            guard special != 0 else {
                bytes.append(contentsOf: source)
                return
            }
            for byte in source {
                switch byte {
                case 38: markup("&amp;")
                case 60: markup("&lt;")
                case 62: markup("&gt;")
                case 34: markup("&quot;")
                case 39: markup("&#39;")
                default: bytes.append(byte)
                }
            }
        }
    }

    mutating func number(_ value: Int) {
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A data URL checked to hold nothing that needs escaping.
    mutating func dataURL(_ url: SafeDataURL) {
        flush()
        done += url.value
    }

    /// A UTC time as `Formatting` writes it: digits and fixed ASCII, nothing to escape.
    mutating func time(_ date: Date, machine: Bool) {
        if machine { Formatting.machineTime(date, into: &bytes) } else { Formatting.timestamp(date, into: &bytes) }
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
            // No early exit, so that the loop is vectorised (a page checks 24 of these).
            var good: UInt8 = 1
            for byte in UnsafeBufferPointer(rebasing: bytes[prefix.utf8.count...]) {
                let letter: UInt8 = (byte | 0x20) &- 97 < 26 ? 1 : 0
                let digit: UInt8 = byte &- 48 < 10 ? 1 : 0
                let symbol: UInt8 = (byte == 43 ? 1 : 0) | (byte == 47 ? 1 : 0) | (byte == 61 ? 1 : 0)
                good &= letter | digit | symbol
            }
            return good == 1
        }
        guard safe else { return nil }
        value = url
    }
}
