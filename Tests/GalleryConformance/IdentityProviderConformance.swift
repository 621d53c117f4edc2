import Foundation
import GalleryCore
import XCTest

/// What every `IdentityProvider` must do. Give it a provider with no accounts per test, a
/// way to read the newest confirmation code mailed to an address (the backend's outbox, or
/// whatever the provider's test server exposes), and, where the backend's mail can be seen,
/// how many mails it has sent so far.
public final class IdentityProviderConformance {
    public static let sourceFile = #filePath
    let provider: IdentityProvider
    let latestCode: (_ email: String) throws -> String?
    let mailsSent: (() throws -> Int)?

    public init(provider: IdentityProvider, latestCode: @escaping (_ email: String) throws -> String?,
                mailsSent: (() throws -> Int)? = nil) {
        self.provider = provider
        self.latestCode = latestCode
        self.mailsSent = mailsSent
    }

    let password = "correct horse battery"

    public func testSignUpConfirmSignIn() throws {
        let result = try provider.signUp(username: "alice", email: "alice@example.com", password: password)
        XCTAssertFalse(result.userID.isEmpty)
        XCTAssertFalse(result.codeDestination.isEmpty)
        XCTAssertFalse(result.codeDestination.contains("alice@example.com"), "the destination is masked")

        assertThrows(.notConfirmed, "right password, unconfirmed") {
            try provider.signIn(username: "alice", password: password)
        }
        let code = try XCTUnwrap(latestCode("alice@example.com"), "a code was mailed")
        XCTAssertEqual(code.count, 6)
        try provider.confirm(username: "alice", code: code)

        let identity = try provider.signIn(username: "alice", password: password)
        XCTAssertEqual(identity.userID, result.userID)
        XCTAssertEqual(identity.username, "alice")
        XCTAssertEqual(identity.email, "alice@example.com")
    }

    public func testWrongCode() throws {
        _ = try provider.signUp(username: "bob", email: "bob@example.com", password: password)
        let code = try XCTUnwrap(latestCode("bob@example.com"))
        let wrong = code == "000000" ? "111111" : "000000"
        assertThrows(.badCode) { try provider.confirm(username: "bob", code: wrong) }
        assertThrows(.badCode) { try provider.confirm(username: "bob", code: "") }
        try provider.confirm(username: "bob", code: code)
        XCTAssertEqual(try provider.signIn(username: "bob", password: password).username, "bob")
    }

    public func testConfirmUnknownUser() throws {
        assertThrows(.badCode) { try provider.confirm(username: "nobody", code: "123456") }
    }

    public func testResendCode() throws {
        _ = try provider.signUp(username: "carol", email: "carol@example.com", password: password)
        let first = try XCTUnwrap(latestCode("carol@example.com"))
        try provider.resendCode(username: "carol")
        let second = try XCTUnwrap(latestCode("carol@example.com"))
        // Two random 6-digit codes are equal once in a million runs; then this proves less.
        if first != second {
            assertThrows(.badCode, "the old code is replaced") { try provider.confirm(username: "carol", code: first) }
        }
        try provider.confirm(username: "carol", code: second)
        XCTAssertEqual(try provider.signIn(username: "carol", password: password).email, "carol@example.com")
    }

    /// Asking for a code again under a name nobody has mails nothing, and answers as for a real
    /// account (no error), so the form does not tell which names are taken.
    public func testResendForUnknownUserIsSilent() throws {
        let mailsSent = try XCTUnwrap(self.mailsSent, "this backend's test shows no count of the mails sent")
        _ = try provider.signUp(username: "hana", email: "hana@example.com", password: password)
        let afterSignUp = try mailsSent()
        XCTAssertGreaterThan(afterSignUp, 0, "the count sees the sign-up's mail")
        try provider.resendCode(username: "nobody")
        try provider.resendCode(username: "hana.other")
        XCTAssertEqual(try mailsSent(), afterSignUp, "nothing is mailed for names nobody has")
        try provider.resendCode(username: "hana")
        XCTAssertEqual(try mailsSent(), afterSignUp + 1, "the same answer for a real name, which does get a mail")
    }

    /// The same error, whether the user exists or not, so the form does not tell who has an account.
    public func testSignInFailuresLookAlike() throws {
        _ = try provider.signUp(username: "dave", email: "dave@example.com", password: password)
        try provider.confirm(username: "dave", code: XCTUnwrap(latestCode("dave@example.com")))
        assertThrows(.badCredentials, "wrong password") { try provider.signIn(username: "dave", password: "wrong password!") }
        assertThrows(.badCredentials, "unknown user") { try provider.signIn(username: "nobody", password: password) }
        assertThrows(.badCredentials, "empty password") { try provider.signIn(username: "dave", password: "") }
    }

    public func testDuplicateUsername() throws {
        _ = try provider.signUp(username: "erin", email: "erin@example.com", password: password)
        assertThrows(.conflict("")) {
            try provider.signUp(username: "erin", email: "other@example.com", password: "another password")
        }
    }

    public func testSignUpValidation() throws {
        assertThrows(.invalid(""), "short password") {
            try provider.signUp(username: "frank", email: "frank@example.com", password: "short")
        }
        assertThrows(.invalid(""), "bad email") {
            try provider.signUp(username: "frank", email: "not-an-email", password: password)
        }
        assertThrows(.invalid(""), "header injection in email") {
            try provider.signUp(username: "frank", email: "frank@example.com\nBcc: x@example.com", password: password)
        }
        assertThrows(.invalid(""), "bad username") {
            try provider.signUp(username: "fr ank<script>", email: "frank@example.com", password: password)
        }
        assertThrows(.invalid(""), "short username") {
            try provider.signUp(username: "f", email: "frank@example.com", password: password)
        }
        // Nothing was created by the refused attempts.
        _ = try provider.signUp(username: "frank", email: "frank@example.com", password: password)
    }

    public func testDeleteAccount() throws {
        let result = try provider.signUp(username: "grace", email: "grace@example.com", password: password)
        try provider.confirm(username: "grace", code: XCTUnwrap(latestCode("grace@example.com")))
        let identity = try provider.signIn(username: "grace", password: password)
        try provider.signOut(userID: identity.userID, providerToken: identity.providerToken)
        try provider.deleteAccount(userID: result.userID, providerToken: identity.providerToken)
        assertThrows(.badCredentials) { try provider.signIn(username: "grace", password: password) }
        _ = try provider.signUp(username: "grace", email: "grace@example.com", password: password)
    }
}
