import CCurl
import Foundation
import GalleryCore

/// Sends mail through an SMTP server with libcurl. `smtp://` upgrades with STARTTLS when the
/// server offers it (and stays plain when it does not, for a local relay); `smtps://` is TLS
/// from the first byte. Credentials go in the URL (`smtps://user:pass@host:465`) and never
/// into an error message.
public final class SMTPMailer: Mailer {
    private let url: String
    private let from: String
    private let secrets: [String]
    private let connectTimeout: TimeInterval
    private let timeout: TimeInterval

    public init(url: String, from: String, connectTimeout: TimeInterval = 10, timeout: TimeInterval = 60) throws {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
              scheme == "smtp" || scheme == "smtps", let host = parts.host, !host.isEmpty else {
            throw GalleryError.invalid("the SMTP URL must look like smtp://host:port or smtps://user:pass@host:465")
        }
        try MailFormat.validateAddress(from)
        self.url = url
        self.from = from
        // Both the raw and the decoded forms, whichever libcurl might echo.
        self.secrets = [parts.password, parts.percentEncodedPassword, parts.user, parts.percentEncodedUser]
            .compactMap { $0 }.filter { !$0.isEmpty }
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    public func send(_ message: MailMessage) throws {
        let text = try MailFormat.render(message, from: from)
        do {
            try transmit(text, to: message.to)
        } catch let error as TransportError {
            throw GalleryError.unavailable("smtp: " + redacted(error.message))
        }
    }

    private func transmit(_ text: Data, to recipient: String) throws {
        // A handle of its own: mail is rare, and SMTP state must not mix with the HTTP handles.
        let handle = try CurlHandle.make()
        let recipients = try CurlStringList(["<\(recipient)>"])
        let transfer = Transfer(handle: handle, source: .bytes(text), sinkDescriptor: nil, memoryLimit: 1 << 20)
        try handle.set(CURLOPT_URL, url)
        try handle.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        try handle.set(CURLOPT_NOSIGNAL, 1)
        try handle.set(CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
        try handle.set(CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
        try handle.set(CURLOPT_USE_SSL, Int(CURLUSESSL_TRY.rawValue))
        try handle.set(CURLOPT_MAIL_FROM, "<\(from)>")
        try handle.set(CURLOPT_MAIL_RCPT, pointer: UnsafeMutableRawPointer(recipients.raw))
        try handle.set(CURLOPT_UPLOAD, 1)
        try handle.set(CURLOPT_INFILESIZE_LARGE, offset: Int64(text.count))
        try transfer.install()
        do {
            try withExtendedLifetime((transfer, recipients)) { try handle.perform() }
        } catch {
            throw transfer.failure ?? error
        }
    }

    private func redacted(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
    }
}
