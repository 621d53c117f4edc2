import CExif
import Foundation
import GalleryCore

/// What EXIF says about a photo: how to turn it upright, and the camera's facts.
struct EXIFInfo: Equatable {
    var orientation: Orientation = .up
    /// Nil when EXIF had none of the fields.
    var metadata: PhotoMetadata?
}

/// Reads EXIF through libexif. A damaged block yields what could be read; it never fails the
/// image, whose pixels are fine.
enum EXIFReader {
    static func read(_ block: [UInt8]) -> EXIFInfo {
        guard let data = exif_data_new() else { return EXIFInfo() }
        defer { exif_data_unref(data) }
        // Without this libexif "fixes" the data by inventing mandatory tags with default values.
        exif_data_unset_option(data, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION)
        // Keep tags libexif's table does not list for an IFD; we look ours up by number.
        exif_data_unset_option(data, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS)
        block.withUnsafeBufferPointer { exif_data_load_data(data, $0.baseAddress, UInt32($0.count)) }
        let reader = Fields(data: data)

        var metadata = PhotoMetadata()
        metadata.cameraMake = reader.text(.ifd0, EXIF_TAG_MAKE)
        metadata.cameraModel = reader.text(.ifd0, EXIF_TAG_MODEL)
        metadata.lens = reader.text(.exif, EXIF_TAG_LENS_MODEL)
        metadata.exposureTime = reader.rational(.exif, EXIF_TAG_EXPOSURE_TIME).flatMap(formatExposure)
        metadata.fNumber = reader.rational(.exif, EXIF_TAG_FNUMBER)
        metadata.iso = reader.integer(.exif, EXIF_TAG_ISO_SPEED_RATINGS).flatMap { $0 > 0 ? $0 : nil }
        metadata.focalLength = reader.rational(.exif, EXIF_TAG_FOCAL_LENGTH)
        metadata.takenAt = takenAt(reader)
        if let (latitude, longitude) = position(reader) {
            metadata.latitude = latitude
            metadata.longitude = longitude
        }
        return EXIFInfo(orientation: Orientation(exif: reader.integer(.ifd0, EXIF_TAG_ORIENTATION)),
                        metadata: metadata == PhotoMetadata() ? nil : metadata)
    }

    /// "1/250" below a second, "2.5" from one second up.
    static func formatExposure(_ seconds: Double) -> String? {
        guard seconds > 0, seconds.isFinite else { return nil }
        if seconds < 1 { return "1/\(Int((1 / seconds).rounded()))" }
        let tenths = (seconds * 10).rounded() / 10
        return tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
    }

    /// The time the shutter opened: DateTimeOriginal, else DateTimeDigitized, else IFD0's
    /// DateTime (a file-change time on edited photos, but often all there is), else the GPS
    /// fix's UTC date and time. EXIF times are local with no zone unless OffsetTime* is set;
    /// without one they are read as UTC, which keeps the wall-clock digits the camera showed.
    private static func takenAt(_ reader: Fields) -> Date? {
        let candidates: [(Fields.IFD, ExifTag, UInt32)] = [
            (.exif, EXIF_TAG_DATE_TIME_ORIGINAL, 0x9011),
            (.exif, EXIF_TAG_DATE_TIME_DIGITIZED, 0x9012),
            (.ifd0, EXIF_TAG_DATE_TIME, 0x9010),
        ]
        for (ifd, tag, offsetTag) in candidates {
            guard let text = reader.text(ifd, tag) else { continue }
            let offset = reader.text(.exif, ExifTag(rawValue: offsetTag))
            if let date = EXIFDate.parse(text, offset: offset) { return date }
        }
        if let day = reader.text(.gps, ExifTag(rawValue: 0x001D)),  // GPSDateStamp
           let time = reader.rationals(.gps, ExifTag(rawValue: 0x0007), count: 3) {  // GPSTimeStamp
            let seconds = Int(time[0] * 3600 + time[1] * 60 + time[2])
            let text = day + String(format: " %02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
            return EXIFDate.parse(text, offset: "+00:00")
        }
        return nil
    }

    /// Degrees, south and west negative. Cameras without a fix often write 0/0 or blank
    /// references: those give nothing rather than a point in the Gulf of Guinea.
    private static func position(_ reader: Fields) -> (Double, Double)? {
        func coordinate(_ valueTag: UInt32, _ refTag: UInt32, negative: String, limit: Double) -> Double? {
            guard let ref = reader.text(.gps, ExifTag(rawValue: refTag))?.uppercased(),
                  let dms = reader.rationals(.gps, ExifTag(rawValue: valueTag), count: 3) else { return nil }
            let degrees = dms[0] + dms[1] / 60 + dms[2] / 3600
            guard degrees.isFinite, degrees <= limit else { return nil }
            return ref.hasPrefix(negative) ? -degrees : degrees
        }
        guard let latitude = coordinate(0x0002, 0x0001, negative: "S", limit: 90),
              let longitude = coordinate(0x0004, 0x0003, negative: "W", limit: 180) else { return nil }
        return (latitude, longitude)
    }
}

/// Typed access to one loaded ExifData, by IFD and tag.
private struct Fields {
    enum IFD { case ifd0, exif, gps }

    let data: UnsafeMutablePointer<ExifData>
    let order: ExifByteOrder

    init(data: UnsafeMutablePointer<ExifData>) {
        self.data = data
        self.order = exif_data_get_byte_order(data)
    }

    private func entry(_ ifd: IFD, _ tag: ExifTag) -> ExifEntry? {
        let content: UnsafeMutablePointer<ExifContent>?
        switch ifd {
        case .ifd0: content = data.pointee.ifd.0
        case .exif: content = data.pointee.ifd.2
        case .gps: content = data.pointee.ifd.3
        }
        guard let content, let entry = exif_content_get_entry(content, tag),
              entry.pointee.data != nil else { return nil }
        return entry.pointee
    }

    /// ASCII up to the first NUL, trimmed; nil when blank.
    func text(_ ifd: IFD, _ tag: ExifTag) -> String? {
        guard let e = entry(ifd, tag), e.format == EXIF_FORMAT_ASCII || e.format == EXIF_FORMAT_UNDEFINED else { return nil }
        let bytes = UnsafeBufferPointer(start: e.data, count: Int(e.size))
        let text = String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    func integer(_ ifd: IFD, _ tag: ExifTag) -> Int? {
        guard let e = entry(ifd, tag), e.components >= 1 else { return nil }
        switch e.format {
        case EXIF_FORMAT_SHORT where e.size >= 2: return Int(exif_get_short(e.data, order))
        case EXIF_FORMAT_LONG where e.size >= 4: return Int(exif_get_long(e.data, order))
        default: return nil
        }
    }

    func rationals(_ ifd: IFD, _ tag: ExifTag, count: Int) -> [Double]? {
        guard let e = entry(ifd, tag), e.format == EXIF_FORMAT_RATIONAL,
              Int(e.components) >= count, Int(e.size) >= 8 * count else { return nil }
        var values: [Double] = []
        for i in 0 ..< count {
            let r = exif_get_rational(e.data + 8 * i, order)
            guard r.denominator != 0 else { return nil }
            values.append(Double(r.numerator) / Double(r.denominator))
        }
        return values
    }

    func rational(_ ifd: IFD, _ tag: ExifTag) -> Double? {
        rationals(ifd, tag, count: 1)?.first.flatMap { $0 > 0 ? $0 : nil }
    }
}

/// EXIF's "YYYY:MM:DD HH:MM:SS", and the ISO 8601 variants some software writes there
/// ("2023-09-27T14:30:13+02:00"); a zone in the text wins over the OffsetTime tag.
enum EXIFDate {
    static func parse(_ text: String, offset: String?) -> Date? {
        let digits = text.split(whereSeparator: { !$0.isNumber }).prefix(6).compactMap { Int($0) }
        guard digits.count == 6, digits[0] > 1800, (1 ... 12).contains(digits[1]), (1 ... 31).contains(digits[2]),
              digits[3] < 24, digits[4] < 60, digits[5] < 61 else { return nil }
        var zone = TimeZone(secondsFromGMT: 0)!
        let body = text.dropFirst(19)  // after "YYYY-MM-DDTHH:MM:SS"
        if let inline = zoneOffset(String(body.drop(while: { $0 != "+" && $0 != "-" && $0 != "Z" }))) {
            zone = inline
        } else if let offset, let tagged = zoneOffset(offset) {
            zone = tagged
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(year: digits[0], month: digits[1], day: digits[2],
                                        hour: digits[3], minute: digits[4], second: digits[5])
        return calendar.date(from: components)
    }

    /// "+02:00", "-0530" or "Z".
    private static func zoneOffset(_ text: String) -> TimeZone? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "Z" { return TimeZone(secondsFromGMT: 0) }
        guard let sign = t.first, sign == "+" || sign == "-" else { return nil }
        let numbers = t.dropFirst().filter(\.isNumber)
        guard numbers.count == 4, let value = Int(numbers) else { return nil }
        let seconds = (value / 100 * 3600 + value % 100 * 60) * (sign == "-" ? -1 : 1)
        return TimeZone(secondsFromGMT: seconds)
    }
}
