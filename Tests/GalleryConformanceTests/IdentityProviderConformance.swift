import Foundation
import GalleryCore
import Testing

/// What every `IdentityProvider` must do, each check run over every backend
/// (`IdentityBackend`): the local accounts, and Cognito on moto_server. A check moto cannot
/// play is `excused` on Cognito with the reason, and still run there as a known issue.
@Suite(.serialized, .backends())
struct IdentityProviderConformance {
    let password = "correct horse battery"

    @Test(arguments: IdentityBackend.allCases)
    func signUpConfirmSignIn(_ backend: IdentityBackend) throws {
        let made = try backend.make(), provider = made.provider
        let result = try provider.signUp(username: "alice", email: "alice@example.com", password: password)
        #expect(!result.userID.isEmpty)
        #expect(!result.codeDestination.isEmpty)
        #expect(!result.codeDestination.contains("alice@example.com"), "the destination is masked")

        expectThrows(.notConfirmed, "right password, unconfirmed") {
            try provider.signIn(username: "alice", password: password)
        }
        let code = try #require(try made.latestCode("alice@example.com"), "a code was mailed")
        #expect(code.count == 6)
        try provider.confirm(username: "alice", code: code)

        let identity = try provider.signIn(username: "alice", password: password)
        #expect(identity.userID == result.userID)
        #expect(identity.username == "alice")
        #expect(identity.email == "alice@example.com")
    }

    @Test(arguments: IdentityBackend.allCases)
    func wrongCode(_ backend: IdentityBackend) throws {
        try excused(on: .cognito, "moto's ConfirmSignUp accepts any code", running: backend) {
            let made = try backend.make(), provider = made.provider
            _ = try provider.signUp(username: "bob", email: "bob@example.com", password: password)
            let code = try #require(try made.latestCode("bob@example.com"))
            let wrong = code == "000000" ? "111111" : "000000"
            expectThrows(.badCode) { try provider.confirm(username: "bob", code: wrong) }
            expectThrows(.badCode) { try provider.confirm(username: "bob", code: "") }
            try provider.confirm(username: "bob", code: code)
            #expect(try provider.signIn(username: "bob", password: password).username == "bob")
        }
    }

    @Test(arguments: IdentityBackend.allCases)
    func confirmUnknownUser(_ backend: IdentityBackend) throws {
        let provider = try backend.make().provider
        expectThrows(.badCode) { try provider.confirm(username: "nobody", code: "123456") }
    }

    @Test(arguments: IdentityBackend.allCases)
    func resendCode(_ backend: IdentityBackend) throws {
        // The request's shape is checked against botocore's model in CognitoIdentityProviderTests.
        try excused(on: .cognito, "moto 5.2 does not implement ResendConfirmationCode (HTTP 500)", running: backend) {
            let made = try backend.make(), provider = made.provider
            _ = try provider.signUp(username: "carol", email: "carol@example.com", password: password)
            let first = try #require(try made.latestCode("carol@example.com"))
            try provider.resendCode(username: "carol")
            let second = try #require(try made.latestCode("carol@example.com"))
            // Two random 6-digit codes are equal once in a million runs; then this proves less.
            if first != second {
                expectThrows(.badCode, "the old code is replaced") { try provider.confirm(username: "carol", code: first) }
            }
            try provider.confirm(username: "carol", code: second)
            #expect(try provider.signIn(username: "carol", password: password).email == "carol@example.com")
        }
    }

    /// Asking for a code again under a name nobody has mails nothing, and answers as for a real
    /// account (no error), so the form does not tell which names are taken.
    @Test(arguments: IdentityBackend.allCases)
    func resendForUnknownUserIsSilent(_ backend: IdentityBackend) throws {
        try excused(on: .cognito, "moto mails nothing to count, and 5.2 does not implement ResendConfirmationCode",
                    running: backend) {
            let made = try backend.make(), provider = made.provider
            let mailsSent = try #require(made.mailsSent, "this backend's test shows no count of the mails sent")
            _ = try provider.signUp(username: "hana", email: "hana@example.com", password: password)
            let afterSignUp = try mailsSent()
            #expect(afterSignUp > 0, "the count sees the sign-up's mail")
            try provider.resendCode(username: "nobody")
            try provider.resendCode(username: "hana.other")
            #expect(try mailsSent() == afterSignUp, "nothing is mailed for names nobody has")
            try provider.resendCode(username: "hana")
            #expect(try mailsSent() == afterSignUp + 1, "the same answer for a real name, which does get a mail")
        }
    }

    /// The same error, whether the user exists or not, so the form does not tell who has an account.
    @Test(arguments: IdentityBackend.allCases)
    func signInFailuresLookAlike(_ backend: IdentityBackend) throws {
        let made = try backend.make(), provider = made.provider
        _ = try provider.signUp(username: "dave", email: "dave@example.com", password: password)
        try provider.confirm(username: "dave", code: #require(try made.latestCode("dave@example.com")))
        expectThrows(.badCredentials, "wrong password") { try provider.signIn(username: "dave", password: "wrong password!") }
        expectThrows(.badCredentials, "unknown user") { try provider.signIn(username: "nobody", password: password) }
        expectThrows(.badCredentials, "empty password") { try provider.signIn(username: "dave", password: "") }
    }

    @Test(arguments: IdentityBackend.allCases)
    func duplicateUsername(_ backend: IdentityBackend) throws {
        let provider = try backend.make().provider
        _ = try provider.signUp(username: "erin", email: "erin@example.com", password: password)
        expectThrows(.conflict("")) {
            try provider.signUp(username: "erin", email: "other@example.com", password: "another password")
        }
    }

    @Test(arguments: IdentityBackend.allCases)
    func signUpValidation(_ backend: IdentityBackend) throws {
        let provider = try backend.make().provider
        expectThrows(.invalid(""), "short password") {
            try provider.signUp(username: "frank", email: "frank@example.com", password: "short")
        }
        expectThrows(.invalid(""), "bad email") {
            try provider.signUp(username: "frank", email: "not-an-email", password: password)
        }
        expectThrows(.invalid(""), "header injection in email") {
            try provider.signUp(username: "frank", email: "frank@example.com\nBcc: x@example.com", password: password)
        }
        expectThrows(.invalid(""), "bad username") {
            try provider.signUp(username: "fr ank<script>", email: "frank@example.com", password: password)
        }
        expectThrows(.invalid(""), "short username") {
            try provider.signUp(username: "f", email: "frank@example.com", password: password)
        }
        // Nothing was created by the refused attempts.
        _ = try provider.signUp(username: "frank", email: "frank@example.com", password: password)
    }

    @Test(arguments: IdentityBackend.allCases)
    func deleteAccount(_ backend: IdentityBackend) throws {
        let made = try backend.make(), provider = made.provider
        let result = try provider.signUp(username: "grace", email: "grace@example.com", password: password)
        try provider.confirm(username: "grace", code: #require(try made.latestCode("grace@example.com")))
        let identity = try provider.signIn(username: "grace", password: password)
        try provider.signOut(userID: identity.userID, providerToken: identity.providerToken)
        try provider.deleteAccount(userID: result.userID, providerToken: identity.providerToken)
        expectThrows(.badCredentials) { try provider.signIn(username: "grace", password: password) }
        _ = try provider.signUp(username: "grace", email: "grace@example.com", password: password)
    }
}
