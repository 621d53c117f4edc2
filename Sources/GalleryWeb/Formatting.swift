import Foundation

/// Display formatting for pages. Thread-safe (no shared formatters). Times are UTC, computed
/// by hand: a feed page shows 48 of them, and `String(format:)` with `gmtime_r` cost more than
/// the rest of a tile.
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

    static func bytes(_ count: Int) -> String {
        if count < 1024 { return "\(count) bytes" }
        if count < 1024 * 1024 { return String(format: "%.1f KB", Double(count) / 1024) }
        return String(format: "%.1f MB", Double(count) / (1024 * 1024))
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
        let seconds = Int(interval)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let ofDay = seconds - days * 86_400
        (hour, minute, second) = (ofDay / 3600, ofDay % 3600 / 60, ofDay % 60)
        // Days to civil date in the proleptic Gregorian calendar (Howard Hinnant's
        // `civil_from_days`): 400-year eras, years that start on 1 March.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
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
