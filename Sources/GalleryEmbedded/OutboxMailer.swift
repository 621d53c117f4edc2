import Foundation
import GalleryCore
import GalleryCrypto

/// Mail for a machine that sends none: each message becomes an RFC 5322 `.eml` file in
/// `directory`, for the operator to read or to hand to a real mail system. Files appear
/// whole (atomic rename) and their names sort by time.
///
/// The log line names the file and the recipient, never the body: bodies hold codes.
public final class OutboxMailer: Mailer, @unchecked Sendable {  // @unchecked: `sequence` is guarded by `sequenceLock`
    public let directory: URL
    public let from: String

    public init(directory: URL, from: String) throws {
        guard Self.isHeaderSafe(from), !from.isEmpty else {
            throw GalleryError.invalid("mail sender must be one line")
        }
        self.directory = directory
        self.from = from
        try AtomicFile.makeDirectories(directory.path)
    }

    public func send(_ message: MailMessage) throws {
        guard Self.isHeaderSafe(message.to), Self.isHeaderSafe(message.subject), !message.to.isEmpty else {
            throw GalleryError.invalid("mail recipient and subject must be one line each")
        }
        let name = nextFileName()
        let bytes = Array(render(message, date: Date()).utf8)
        try AtomicFile.write(to: directory.appendingPathComponent(name).path, permissions: 0o600) { fd in
            try bytes.withUnsafeBytes { try AtomicFile.writeAll($0, to: fd) }
        }
        FileHandle.standardError.write(Data("outbox: wrote \(name) to \(message.to)\n".utf8))
    }

    private let sequenceLock = NSLock()
    private var sequence = 0

    /// Milliseconds, then a per-mailer sequence number: names sort in sending order even
    /// within one millisecond; the random tail keeps processes sharing the folder apart.
    private func nextFileName() -> String {
        sequenceLock.lock()
        sequence += 1
        let n = sequence
        sequenceLock.unlock()
        let ms = Int64(Date().timeIntervalSince1970 * 1000)
        return String(format: "%013lld-%06d-", ms, n % 1_000_000) + Encoding.hex(SecureRandom.bytes(4)) + ".eml"
    }

    func render(_ message: MailMessage, date: Date) -> String {
        let body = message.body
            .replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\r", with: "\n")
            .replacingOccurrences(of: "\n", with: "\r\n")
        let headers = [
            "Date: \(Self.rfc5322Date(date))",
            "From: \(from)",
            "To: \(message.to)",
            "Subject: \(Self.encodedWord(message.subject))",
            "Message-ID: <\(Encoding.hex(SecureRandom.bytes(16)))@\(Self.domain(of: from))>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body + (body.hasSuffix("\r\n") ? "" : "\r\n")
    }

    /// Header values may not contain line breaks: one would let a value add headers.
    private static func isHeaderSafe(_ value: String) -> Bool {
        !value.unicodeScalars.contains { $0 == "\r" || $0 == "\n" || $0 == "\0" }
    }

    /// RFC 2047 for non-ASCII subjects; ASCII ones stay readable.
    private static func encodedWord(_ text: String) -> String {
        guard !text.unicodeScalars.allSatisfy(\.isASCII) else { return text }
        return "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }

    private static func domain(of address: String) -> String {
        let bare = address.split(separator: "<").last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "> ")) } ?? address
        guard let at = bare.lastIndex(of: "@") else { return "localhost" }
        let domain = bare[bare.index(after: at)...]
        return domain.isEmpty ? "localhost" : String(domain)
    }

    private static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
