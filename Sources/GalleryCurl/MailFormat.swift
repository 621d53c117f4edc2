import Foundation
import GalleryCore

/// Builds the RFC 5322 text of a plain-text mail. Header values come from our code and the
/// user's address: CR and LF are refused so nothing can be injected into the headers.
enum MailFormat {
    static func validateAddress(_ address: String) throws {
        let forbidden = CharacterSet(charactersIn: "\r\n<>,;\"\\ \t").union(.controlCharacters)
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              address.unicodeScalars.allSatisfy({ !forbidden.contains($0) }) else {
            throw GalleryError.invalid("not a usable email address")
        }
    }

    static func render(_ message: MailMessage, from: String, date: Date = Date()) throws -> Data {
        try validateAddress(from)
        try validateAddress(message.to)
        // Scalars, not Characters: "\r\n" is one Character and equals neither "\r" nor "\n".
        guard !message.subject.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw GalleryError.invalid("a mail subject must be one line")
        }
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        let lines = [
            "Date: \(rfc5322Date(date))",
            "From: \(from)",
            "To: \(message.to)",
            "Subject: \(encodedWord(message.subject))",
            "Message-ID: <\(UUID().uuidString.lowercased())@\(domain)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            // base64 keeps every line short and 7-bit whatever the body holds.
            "Content-Transfer-Encoding: base64",
            "",
            wrapped(Data(normalizedLineEnds(message.body).utf8).base64EncodedString(), width: 76),
        ]
        return Data((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// RFC 2047 encoded-word for non-ASCII subjects, split so no word passes 75 characters.
    static func encodedWord(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { !$0.isASCII || $0.value < 0x20 }) else { return text }
        var words: [String] = []
        var chunk = ""
        for character in text {
            let candidate = chunk + String(character)
            if Data(candidate.utf8).base64EncodedString().count > 60 {
                words.append(chunk)
                chunk = String(character)
            } else {
                chunk = candidate
            }
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    private static func normalizedLineEnds(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
    }

    private static func wrapped(_ text: String, width: Int) -> String {
        var lines: [Substring] = []
        var rest = text[...]
        while !rest.isEmpty {
            lines.append(rest.prefix(width))
            rest = rest.dropFirst(width)
        }
        return lines.joined(separator: "\r\n")
    }
}
