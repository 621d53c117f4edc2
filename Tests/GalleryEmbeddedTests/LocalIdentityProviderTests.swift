import Foundation
import GalleryConformance
import GalleryCore
@testable import GalleryEmbedded
import GalleryPasswords
import GalleryTestSupport
import XCTest

/// What only the local accounts do (the mails, code attempts and expiry, hash upgrades); what
/// every identity provider does is GalleryConformanceTests' IdentityProviderConformance.
final class LocalIdentityProviderTests: XCTestCase {
    private var fixture: EmbeddedFixture!
    private var outbox: URL!
    private var provider: LocalIdentityProvider!

    override func setUpWithError() throws {
        useFastPasswordHashing()
        fixture = try EmbeddedFixture()
        outbox = fixture.directory.appendingPathComponent("outbox")
        let mailer = try OutboxMailer(directory: outbox, from: "Gallery <gallery@example.org>")
        provider = LocalIdentityProvider(database: fixture.database, mailer: mailer, siteURL: "https://photos.example.org/")
    }

    override func tearDown() {
        provider = nil
        fixture = nil
    }

    let password = "correct horse battery"

    func testConfirmationMail() throws {
        let result = try provider.signUp(username: "ann.lee", email: "ann@example.com", password: password)
        XCTAssertEqual(result.codeDestination, "a***@example.com")
        let mail = try XCTUnwrap(Outbox(directory: outbox).messages(to: "ann@example.com").last)
        XCTAssertTrue(mail.contains("Subject: Confirm your gallery account\r\n"), mail)
        XCTAssertTrue(mail.contains("https://photos.example.org/confirm?username=ann.lee"), mail)
        let code = try XCTUnwrap(Outbox(directory: outbox).latestCode(to: "ann@example.com"))
        let stored = try fixture.database.read { try $0.queryFirst("SELECT code_hash FROM accounts") { $0.string(0) } }
        XCTAssertNotEqual(stored, code, "only a hash of the code is stored")
        XCTAssertEqual(stored?.count, 64)
    }

    /// Five wrong guesses lock confirming for an hour, even with the right code, and a new
    /// code does not buy new guesses (issue 14: each resend used to reset the count, which
    /// made guesses unlimited). The lock ends by itself.
    func testWrongGuessesAreNotResetByANewCode() throws {
        _ = try provider.signUp(username: "ben", email: "ben@example.com", password: password)
        let code = try XCTUnwrap(Outbox(directory: outbox).latestCode(to: "ben@example.com"))
        let wrong = code == "999999" ? "999998" : "999999"
        for _ in 0..<LocalIdentityProvider.maxCodeAttempts {
            assertThrows(.badCode) { try provider.confirm(username: "ben", code: wrong) }
        }
        assertThrows(.badCode, "locked after too many guesses") { try provider.confirm(username: "ben", code: code) }
        try provider.resendCode(username: "ben")
        let fresh = try XCTUnwrap(Outbox(directory: outbox).latestCode(to: "ben@example.com"))
        assertThrows(.badCode, "a new code is no new set of guesses") { try provider.confirm(username: "ben", code: fresh) }
        let count = try fixture.database.read { try $0.queryFirst("SELECT code_attempts FROM accounts") { $0.int(0) } }
        XCTAssertEqual(count, LocalIdentityProvider.maxCodeAttempts, "the resend kept the count")
        try fixture.database.read {
            try $0.run("UPDATE accounts SET code_failures_since = ?",
                       [Date().addingTimeInterval(-LocalIdentityProvider.codeGuessWindow - 1)])
        }
        try provider.confirm(username: "ben", code: fresh)
    }

    func testExpiredCode() throws {
        _ = try provider.signUp(username: "cleo", email: "cleo@example.com", password: password)
        let code = try XCTUnwrap(Outbox(directory: outbox).latestCode(to: "cleo@example.com"))
        try fixture.database.read {
            try $0.run("UPDATE accounts SET code_expires = ?", [Date().addingTimeInterval(-1)])
        }
        assertThrows(.badCode) { try provider.confirm(username: "cleo", code: code) }
    }

    func testConfirmedUserGetsNoNewCode() throws {
        _ = try provider.signUp(username: "dora", email: "dora@example.com", password: password)
        try provider.confirm(username: "dora", code: XCTUnwrap(Outbox(directory: outbox).latestCode(to: "dora@example.com")))
        let before = try Outbox(directory: outbox).messages(to: "dora@example.com").count
        try provider.resendCode(username: "dora")
        XCTAssertEqual(try Outbox(directory: outbox).messages(to: "dora@example.com").count, before)
    }

    /// Usernames are matched without case; the identity carries the name as registered.
    func testSignInIgnoresUsernameCase() throws {
        _ = try provider.signUp(username: "Emil", email: "emil@example.com", password: password)
        try provider.confirm(username: "emil", code: XCTUnwrap(Outbox(directory: outbox).latestCode(to: "emil@example.com")))
        XCTAssertEqual(try provider.signIn(username: "EMIL", password: password).username, "Emil")
        assertThrows(.conflict("")) { try provider.signUp(username: "emil", email: "x@example.com", password: password) }
    }

    /// A hash made with older parameters is replaced at the next successful sign-in.
    func testSignInUpgradesOldHashes() throws {
        _ = try provider.signUp(username: "fay", email: "fay@example.com", password: password)
        try provider.confirm(username: "fay", code: XCTUnwrap(Outbox(directory: outbox).latestCode(to: "fay@example.com")))
        setenv("GALLERY_ARGON2_MEMORY_KIB", "512", 1)
        defer { useFastPasswordHashing() }
        _ = try provider.signIn(username: "fay", password: password)
        let stored = try fixture.database.read { try $0.queryFirst("SELECT password_hash FROM accounts") { $0.string(0) } }
        XCTAssertTrue(stored?.hasPrefix("$argon2id$v=19$m=512,t=1,p=1$") == true, stored ?? "nil")
        XCTAssertEqual(try provider.signIn(username: "fay", password: password).username, "fay")
    }

    /// A sign-up whose mail cannot be sent is undone, so the username is not blocked.
    func testSignUpIsUndoneWhenMailFails() throws {
        let failing = LocalIdentityProvider(database: fixture.database, mailer: FailingMailer(), siteURL: "http://x")
        assertThrows(.unavailable("")) { try failing.signUp(username: "gus", email: "gus@example.com", password: password) }
        _ = try provider.signUp(username: "gus", email: "gus@example.com", password: password)
    }

    func testAccountRules() {
        for name in ["abc", "A.b-c_9", String(repeating: "x", count: 32)] {
            XCTAssertNoThrow(try AccountRules.checkUsername(name), name)
        }
        for name in ["ab", String(repeating: "x", count: 33), "a b", "ümlaut", "a/b", "a@b", ""] {
            assertThrows(.invalid(""), name) { try AccountRules.checkUsername(name) }
        }
        XCTAssertEqual(try AccountRules.normalizedEmail("  Ann.Lee+photos@Mail.Example.COM "), "Ann.Lee+photos@Mail.Example.COM")
        for email in ["plain", "@example.com", "a@", "a@b", "a@@b.com", "a b@c.com", "a@b..com", "a@-b.com",
                      "a@b.com\r\nBcc: c@d.com", "<a>@b.com", String(repeating: "a", count: 250) + "@b.com"] {
            assertThrows(.invalid(""), email.debugDescription) { try AccountRules.normalizedEmail(email) }
        }
        assertThrows(.invalid("")) { try AccountRules.checkPassword("9 tall ox", username: "ann", email: "a@b.org") }
        XCTAssertNoThrow(try AccountRules.checkPassword("violet tram sings", username: "ann", email: "a@b.org"))
        assertThrows(.invalid("")) {
            try AccountRules.checkPassword(String(repeating: "pq", count: 129), username: "ann", email: "a@b.org")
        }
    }
}

private final class FailingMailer: Mailer {
    func send(_ message: MailMessage) throws { throw GalleryError.unavailable("smtp: test failure") }
}
