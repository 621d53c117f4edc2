import Foundation
import GalleryCore

/// Field rules for what people type. Every text field has a length limit; the messages are
/// shown on the form. Output escaping is Mustache's job; these keep stored values sane.
enum Field {
    /// Trimmed single-line text of at most `max` characters, no control characters.
    static func line(_ value: String?, name: String, max: Int, required: Bool = false) throws -> String {
        let text = (value ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if required && text.isEmpty { throw invalid("\(name) is required.") }
        guard text.count <= max else { throw invalid("\(name) has at most \(max) characters.") }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw invalid("\(name) cannot contain control characters.")
        }
        return text
    }

    /// Multi-line text: line breaks and tabs allowed, other control characters not.
    static func text(_ value: String?, name: String, max: Int) throws -> String {
        let text = (value ?? "").replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count <= max else { throw invalid("\(name) has at most \(max) characters.") }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }) else {
            throw invalid("\(name) cannot contain control characters.")
        }
        return text
    }

    /// "Beach, sunset #holiday" → ["beach", "sunset", "holiday"]: lowercase, 1–32 of a–z, 0–9,
    /// '-' and '_', at most 30, first occurrence kept.
    static func tags(_ value: String?) throws -> [String] {
        var tags: [String] = []
        let words = (value ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace })
        for word in words {
            let tag = String(word.drop(while: { $0 == "#" })).lowercased()
            guard !tag.isEmpty else { continue }
            guard tag.count <= 32, tag.unicodeScalars.allSatisfy(isTagScalar) else {
                throw invalid("A tag has 1 to 32 letters a–z, digits, '-' or '_'; “\(tag.prefix(40))” does not.")
            }
            if !tags.contains(tag) { tags.append(tag) }
        }
        guard tags.count <= 30 else { throw invalid("A photo has at most 30 tags.") }
        return tags
    }

    static func isTag(_ value: String) -> Bool {
        !value.isEmpty && value.count <= 32 && value.unicodeScalars.allSatisfy(isTagScalar)
    }

    private static func isTagScalar(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("0"..."9").contains(s) || s == "-" || s == "_"
    }

    static func visibility(_ value: String?, fallback: Visibility) throws -> Visibility {
        guard let value, !value.isEmpty else { return fallback }
        guard let visibility = Visibility(rawValue: value) else { throw invalid("Choose who can see it.") }
        return visibility
    }

    /// A ticked box sends "1" (the forms' value); an unticked one sends nothing.
    static func checkbox(_ value: String?, name: String) throws -> Bool {
        switch value {
        case nil: return false
        case "1"?: return true
        default: throw invalid("\(name): tick the box or leave it empty.")
        }
    }

    /// "2024-05-31" → that day's start (UTC); nil for empty.
    static func date(_ value: String?, name: String, endOfDay: Bool = false) throws -> Date? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        let parts = value.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...9999).contains(parts[0]), (1...12).contains(parts[1]), (1...31).contains(parts[2]) else {
            throw invalid("\(name) is a date like 2024-05-31.")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let day = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) else {
            throw invalid("\(name) is not a real date.")
        }
        return endOfDay ? day.addingTimeInterval(86_399.999) : day
    }

    private static func invalid(_ message: String) -> PageError {
        PageError(status: 422, title: "Check the form", message: message)
    }
}
