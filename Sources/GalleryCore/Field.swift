import Foundation

/// A value someone typed that breaks a field rule; the message is for the form it came from.
public struct FieldError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// The rules for what people type, one home for each field: the forms normalise and check
/// with these, and the stores refuse with `CatalogRules` (built on the same limits) whatever
/// should never reach them. Output escaping is the templates' job; these keep stored values sane.
public enum Field {
    /// Trimmed single-line text of at most `max` characters, no control characters.
    public static func line(_ value: String?, name: String, max: Int, required: Bool = false) throws -> String {
        let text = (value ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if required && text.isEmpty { throw FieldError("\(name) is required.") }
        guard text.count <= max else { throw FieldError("\(name) has at most \(max) characters.") }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw FieldError("\(name) cannot contain control characters.")
        }
        return text
    }

    /// Multi-line text: line breaks and tabs allowed, other control characters not.
    public static func text(_ value: String?, name: String, max: Int) throws -> String {
        let text = (value ?? "").replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count <= max else { throw FieldError("\(name) has at most \(max) characters.") }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }) else {
            throw FieldError("\(name) cannot contain control characters.")
        }
        return text
    }

    /// "Beach, sunset #Holiday" → ["beach", "sunset", "holiday"]: each word without its '#',
    /// lower-cased in normal form C, first occurrence kept; see `normalisedTag`.
    public static func tags(_ value: String?) throws -> [String] {
        var tags: [String] = []
        let words = (value ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace })
        for word in words {
            let raw = String(word.drop(while: { $0 == "#" }))
            guard !raw.isEmpty else { continue }
            guard let tag = normalisedTag(raw) else {
                throw FieldError("A tag has 1 to \(CatalogRules.maxTagLength) letters, digits, '-' or '_'; “\(raw.prefix(40))” does not.")
            }
            if !tags.contains(tag) { tags.append(tag) }
        }
        guard tags.count <= CatalogRules.maxTags else { throw FieldError("A photo has at most \(CatalogRules.maxTags) tags.") }
        return tags
    }

    /// A tag as stored and looked up: lower-case, normal form C, 1–32 letters of any script,
    /// digits, '-' or '_'. Nil when `raw` cannot be one. (`/tags/Beer` finds "beer".)
    public static func normalisedTag(_ raw: String) -> String? {
        let tag = raw.lowercased().precomposedStringWithCanonicalMapping
        return CatalogRules.isNormalisedTag(tag) ? tag : nil
    }

    public static func visibility(_ value: String?, fallback: Visibility) throws -> Visibility {
        guard let value, !value.isEmpty else { return fallback }
        guard let visibility = Visibility(rawValue: value) else { throw FieldError("Choose who can see it.") }
        return visibility
    }

    /// A ticked box sends "1" (the forms' value); an unticked one sends nothing.
    public static func checkbox(_ value: String?, name: String) throws -> Bool {
        switch value {
        case nil: return false
        case "1"?: return true
        default: throw FieldError("\(name): tick the box or leave it empty.")
        }
    }

    /// "2024-05-31" → that day's start (UTC); nil for empty.
    public static func date(_ value: String?, name: String, endOfDay: Bool = false) throws -> Date? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        let parts = value.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...9999).contains(parts[0]), (1...12).contains(parts[1]), (1...31).contains(parts[2]) else {
            throw FieldError("\(name) is a date like 2024-05-31.")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let day = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
              calendar.component(.day, from: day) == parts[2] else {
            throw FieldError("\(name) is not a real date.")
        }
        return endOfDay ? day.addingTimeInterval(86_399.999) : day
    }

    // MARK: The fields of each form, with their limits

    public static func title(_ value: String?) throws -> String {
        try line(value, name: "The title", max: CatalogRules.maxTitle)
    }

    public static func albumTitle(_ value: String?) throws -> String {
        try line(value, name: "The album's name", max: CatalogRules.maxTitle, required: true)
    }

    public static func description(_ value: String?) throws -> String {
        try text(value, name: "The description", max: CatalogRules.maxDescription)
    }

    public static func displayName(_ value: String?) throws -> String {
        try line(value, name: "A display name", max: CatalogRules.maxDisplayName, required: true)
    }

    public static func bio(_ value: String?) throws -> String {
        try text(value, name: "The bio", max: CatalogRules.maxBio)
    }

    public static func address(_ value: String?) throws -> String {
        try text(value, name: "The address", max: CatalogRules.maxAddress)
    }

    public static func phone(_ value: String?) throws -> String {
        try line(value, name: "The phone number", max: CatalogRules.maxPhone)
    }
}
