import Foundation
import GalleryConformance
import GalleryCore
@testable import GalleryEmbedded
import XCTest

final class OutboxMailerTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("gallery-outbox")
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    func testWritesAnRFC5322Message() throws {
        let mailer = try OutboxMailer(directory: directory, from: "Gallery <gallery@photos.example.org>")
        try mailer.send(MailMessage(to: "ann@example.com", subject: "Confirm your gallery account",
                                    body: "Hello,\nyour code is 123456\n\nBye"))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(names.count, 1)
        let name = try XCTUnwrap(names.first)
        XCTAssertTrue(name.hasSuffix(".eml") && !name.hasPrefix("."), name)
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let headers = parts[0].components(separatedBy: "\r\n")
        let fields = Dictionary(headers.map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), String(line[line.index(colon, offsetBy: 2)...]))
        }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(fields["From"], "Gallery <gallery@photos.example.org>")
        XCTAssertEqual(fields["To"], "ann@example.com")
        XCTAssertEqual(fields["Subject"], "Confirm your gallery account")
        XCTAssertEqual(fields["MIME-Version"], "1.0")
        XCTAssertEqual(fields["Content-Type"], "text/plain; charset=utf-8")
        XCTAssertTrue(fields["Message-ID"]?.hasSuffix("@photos.example.org>") == true, fields["Message-ID"] ?? "")
        let date = try XCTUnwrap(fields["Date"])
        XCTAssertNotNil(date.range(of: #"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$"#,
                                   options: .regularExpression), date)
        XCTAssertEqual(parts.dropFirst().joined(separator: "\r\n\r\n"), "Hello,\r\nyour code is 123456\r\n\r\nBye\r\n",
                       "the body has CRLF line ends")
        XCTAssertFalse(text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "no bare LF")
    }

    func testNonASCIISubjectIsEncoded() throws {
        let mailer = try OutboxMailer(directory: directory, from: "gallery@localhost")
        try mailer.send(MailMessage(to: "z@example.com", subject: "Bestätigung", body: "Grüße"))
        let name = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: directory.path).first)
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        XCTAssertTrue(text.contains("\r\nSubject: =?UTF-8?B?\(Data("Bestätigung".utf8).base64EncodedString())?=\r\n"), text)
        XCTAssertTrue(text.hasSuffix("\r\n\r\nGrüße\r\n"))
    }

    func testHeaderInjectionIsRefused() throws {
        let mailer = try OutboxMailer(directory: directory, from: "gallery@localhost")
        assertThrows(.invalid("")) {
            try mailer.send(MailMessage(to: "a@example.com\r\nBcc: b@example.com", subject: "x", body: "y"))
        }
        assertThrows(.invalid("")) { try mailer.send(MailMessage(to: "a@example.com", subject: "x\nBcc: b@example.com", body: "y")) }
        assertThrows(.invalid("")) { _ = try OutboxMailer(directory: directory, from: "a@b\nX: y") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    func testNamesSortInSendingOrder() throws {
        let mailer = try OutboxMailer(directory: directory, from: "gallery@localhost")
        for i in 0..<20 { try mailer.send(MailMessage(to: "a@example.com", subject: "n\(i)", body: "\(i)")) }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let subjects = try names.map { name -> String in
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            return String(text.components(separatedBy: "\r\n").first { $0.hasPrefix("Subject: ") }!.dropFirst(9))
        }
        XCTAssertEqual(subjects, (0..<20).map { "n\($0)" })
    }
}
