import Foundation
import GalleryCore
import GalleryCurl
import GalleryMoto
import GalleryTestSupport
import XCTest

/// SMTPMailer against a real SMTP server (aiosmtpd) on a loopback port, requiring AUTH.
final class SMTPMailerTests: XCTestCase {
    private var server: ChildProcess!
    private var port = 0
    private var inbox: URL!

    override func setUpWithError() throws {
        guard let python = executable("python3") else { throw missingTool("python3 is not installed") }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", "import aiosmtpd"]
        try check.run()
        check.waitUntilExit()
        guard check.terminationStatus == 0 else { throw missingTool("aiosmtpd is not installed (Tests/requirements.txt)") }

        inbox = FileManager.default.temporaryDirectory.appendingPathComponent("inbox-\(UUID().uuidString).jsonl")
        server = try ChildProcess(python, [try temporaryScript("smtp_server.py", Self.source), inbox.path])
        guard let line = server.firstLine(), let port = Int(line) else {
            throw NSError(domain: "SMTP", code: 1, userInfo: [NSLocalizedDescriptionKey: "smtp server: \(server.log)"])
        }
        self.port = port
    }

    override func tearDown() {
        server?.stop()
        if let inbox { try? FileManager.default.removeItem(at: inbox) }  // cleanup only
    }

    struct Received: Decodable {
        var mailFrom: String
        var rcptTos: [String]
        var from: String
        var to: String
        var subject: String
        var body: String
        var date: String
        var messageID: String
        enum CodingKeys: String, CodingKey {
            case mailFrom = "mail_from", rcptTos = "rcpt_tos", from, to, subject, body, date
            case messageID = "message_id"
        }
    }

    private func received() throws -> [Received] {
        let text = (try? String(contentsOf: inbox, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Received.self, from: Data($0.utf8)) }
    }

    func testSendsAParsableMessageWithAuth() throws {
        let mailer = try SMTPMailer(url: "smtp://mailer:s3cret@127.0.0.1:\(port)", from: "gallery@example.org")
        let body = "Hello Zoë,\n\nyour code is 123456.\n.\nA line that starts with a dot stays.\n"
        try mailer.send(MailMessage(to: "zoe@example.net", subject: "Bestätigen Sie Ihr Konto – Ωμέγα galleries all the way down", body: body))

        let mails = try received()
        XCTAssertEqual(mails.count, 1)
        let mail = try XCTUnwrap(mails.first)
        XCTAssertEqual(mail.mailFrom, "gallery@example.org")
        XCTAssertEqual(mail.rcptTos, ["zoe@example.net"])
        XCTAssertEqual(mail.from, "gallery@example.org")
        XCTAssertEqual(mail.to, "zoe@example.net")
        XCTAssertEqual(mail.subject, "Bestätigen Sie Ihr Konto – Ωμέγα galleries all the way down")
        XCTAssertEqual(mail.body, body.replacingOccurrences(of: "\n", with: "\r\n"))
        XCTAssertFalse(mail.date.isEmpty)
        XCTAssertTrue(mail.messageID.hasSuffix("@example.org>"), mail.messageID)
    }

    func testAWrongPasswordIsUnavailableWithoutTheCredentials() throws {
        let mailer = try SMTPMailer(url: "smtp://mailer:Wr0ngPassw0rd@127.0.0.1:\(port)", from: "gallery@example.org")
        XCTAssertThrowsError(try mailer.send(MailMessage(to: "a@example.net", subject: "s", body: "b"))) { error in
            guard case GalleryError.unavailable(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.hasPrefix("smtp: "), message)
            XCTAssertFalse(message.contains("Wr0ngPassw0rd"), message)
        }
        XCTAssertEqual(try received().count, 0)
    }

    func testRefusesHeaderInjectionAndBadAddresses() throws {
        let mailer = try SMTPMailer(url: "smtp://mailer:s3cret@127.0.0.1:\(port)", from: "gallery@example.org")
        XCTAssertThrowsError(try mailer.send(MailMessage(to: "a@example.net", subject: "hi\r\nBcc: victim@example.com", body: "b"))) {
            guard case GalleryError.invalid = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try mailer.send(MailMessage(to: "a@example.net>\r\nRCPT TO:<b@example.net", subject: "s", body: "b"))) {
            guard case GalleryError.invalid = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try SMTPMailer(url: "http://127.0.0.1:\(port)", from: "gallery@example.org")) {
            guard case GalleryError.invalid = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try received().count, 0)
    }

    func testAnUnreachableServerIsUnavailable() throws {
        let mailer = try SMTPMailer(url: "smtp://127.0.0.1:\(freeLoopbackPort())", from: "gallery@example.org",
                                    connectTimeout: 2, timeout: 5)
        XCTAssertThrowsError(try mailer.send(MailMessage(to: "a@example.net", subject: "s", body: "b"))) {
            guard case GalleryError.unavailable(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.hasPrefix("smtp: "), message)
        }
    }

    static let source = #"""
import asyncio, json, sys
from email import message_from_bytes, policy
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

inbox = sys.argv[1]

class Handler:
    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        record = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                  "from": str(msg["From"]), "to": str(msg["To"]), "subject": str(msg["Subject"]),
                  "date": str(msg["Date"]), "message_id": str(msg["Message-ID"]),
                  "body": msg.get_payload(decode=True).decode("utf-8")}
        with open(inbox, "a") as f:
            f.write(json.dumps(record) + "\n")
        return "250 OK"

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"mailer" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Handler(), authenticator=authenticator, auth_required=True, auth_require_tls=False),
        "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"""#
}
