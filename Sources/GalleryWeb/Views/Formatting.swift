import Foundation
import GalleryHTTP
#if canImport(Glibc)
import Glibc
#endif

/// Display formatting for pages. Thread-safe (no shared formatters). Times are UTC, from
/// `gmtime_r`, with the digits written by hand: a feed page shows 48 of them, and
/// `String(format:)` cost more than the rest of a tile.
enum Formatting {
    /// "2026-11-21 10:23 UTC"
    static func timestamp(_ date: Date) -> String {
        var out: [UInt8] = []
        timestamp(date, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 3339, for `<time datetime=…>`: "2026-11-21T10:23:00Z"
    static func machineTime(_ date: Date) -> String {
        var out: [UInt8] = []
        machineTime(date, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends nothing for a date without a four-digit year.
    static func timestamp(_ date: Date, into out: inout [UInt8]) {
        guard let t = UTCTime(date) else { return }
        t.date(&out)
        out.append(32)
        two(t.hour, &out)
        out.append(58)
        two(t.minute, &out)
        out.append(contentsOf: " UTC".utf8)
    }

    static func machineTime(_ date: Date, into out: inout [UInt8]) {
        guard let t = UTCTime(date) else { return }
        t.date(&out)
        out.append(84)  // T
        two(t.hour, &out)
        out.append(58)
        two(t.minute, &out)
        out.append(58)
        two(t.second, &out)
        out.append(90)  // Z
    }

    /// "1 photo", "2 photos", "0 photos" (the words of this site take an s).
    static func count(_ n: Int, _ word: String) -> String {
        "\(n) \(word)\(n == 1 ? "" : "s")"
    }

    fileprivate static func two(_ value: Int, _ out: inout [UInt8]) {
        out.append(48 + UInt8(value / 10))
        out.append(48 + UInt8(value % 10))
    }
}

/// The UTC calendar fields of a date, to the second (truncated toward zero, as `time_t`).
struct UTCTime: Equatable {
    var year, month, day, hour, minute, second: Int

    /// nil for dates outside the years 0–9999 (and for NaN), which have no four-digit year.
    init?(_ date: Date) {
        let interval = date.timeIntervalSince1970
        // 0000-01-01T00:00:00Z is -62167219200 (less than a second before it truncates to it),
        // 10000-01-01T00:00:00Z is 253402300800.
        guard interval > -62_167_219_201, interval < 253_402_300_800 else { return nil }
        var t = time_t(interval)
        var parts = tm()
        gmtime_r(&t, &parts)
        (year, month, day) = (Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
        (hour, minute, second) = (Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// "YYYY-MM-DD"
    fileprivate func date(_ out: inout [UInt8]) {
        Formatting.two(year / 100, &out)
        Formatting.two(year % 100, &out)
        out.append(45)
        Formatting.two(month, &out)
        out.append(45)
        Formatting.two(day, &out)
    }
}
