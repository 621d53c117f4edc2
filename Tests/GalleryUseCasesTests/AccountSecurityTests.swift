import Foundation
import GalleryConformance
import GalleryCore
import GalleryEmbedded
import GalleryUseCases
import XCTest

/// Sign-up's order and undo, the throttles' budgets and windows, the password rule
/// (issue 14), on real embedded stores.
final class AccountSecurityTests: XCTestCase {
    private var root: URL!
    private var database: SQLiteDatabase!
    private var stores: Stores!
    private var outbox: URL!
    private let client = Client(address: "192.0.2.7")
    private let password = "violet tram sings"

    override func setUpWithError() throws {
        setenv("GALLERY_ARGON2_MEMORY_KIB", "8192", 1)
        root = FileManager.default.temporaryDirectory.appendingPathComponent("gallery-accounts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        database = try SQLiteDatabase(file: root.appendingPathComponent("gallery.sqlite3"))
        outbox = root.appendingPathComponent("outbox")
        let mailer = try OutboxMailer(directory: outbox, from: "test@localhost")
        stores = Stores(metadata: SQLiteMetadataStore(database: database), catalog: SQLiteCatalogStore(database: database),
                        jobs: SQLiteJobQueue(database: database), blobs: try FileBlobStore(root: root.appendingPathComponent("blobs")),
                        identity: LocalIdentityProvider(database: database, mailer: mailer, siteURL: "http://test"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)  // test scratch
    }

    private func app(_ stores: Stores) -> UseCases {
        UseCases(stores: stores, settings: .init(maxPixels: 1, quotaBytes: 1, quotaImages: 1,
                                                 temporaryDirectory: root))
    }

    private func accountRows(_ username: String) throws -> Int {
        try database.read { try $0.queryFirst("SELECT count(*) FROM accounts WHERE username = ?", [username]) { $0.int(0) } ?? -1 }
    }

    /// The code of the newest mail in the outbox.
    private func latestCode() throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: outbox.path).filter { $0.hasSuffix(".eml") }.sorted()
        let mail = try String(contentsOf: outbox.appendingPathComponent(try XCTUnwrap(names.last)), encoding: .utf8)
        let range = try XCTUnwrap(mail.range(of: #"code is [0-9]{6}"#, options: .regularExpression))
        return String(mail[range].suffix(6))
    }

    private func mails() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: outbox.path).count) ?? 0
    }

    /// A username still held by an account being purged is taken: refused before any account
    /// is made or any code mailed (issue 14, defect 7).
    func testUsernameOfAnAccountBeingPurgedIsTaken() throws {
        let accounts = app(stores).accounts
        try accounts.register(username: "gone", email: "gone@example.com", password: password, client: client)
        let profile = try XCTUnwrap(try stores.metadata.profile(username: "gone"))
        try stores.catalog.markDeleted(userID: profile.userID, at: Date())
        try stores.identity.deleteAccount(userID: profile.userID, providerToken: nil)
        let mailed = mails()
        assertThrows(.conflict("")) {
            try accounts.register(username: "gone", email: "new@example.com", password: self.password, client: self.client)
        }
        XCTAssertEqual(try accountRows("gone"), 0, "no account left behind")
        XCTAssertEqual(mails(), mailed, "no code mailed")
    }

    /// When the profile cannot be made after the identity provider made the account (the name
    /// was taken meanwhile), the account is deleted again: its code confirms nothing.
    func testARefusedProfileUndoesTheAccount() throws {
        let racing = RacingIdentity(base: stores.identity, metadata: stores.metadata)
        var racy = stores!
        racy.identity = racing
        assertThrows(.conflict("")) {
            try self.app(racy).accounts.register(username: "raced", email: "raced@example.com", password: self.password,
                                                 client: self.client)
        }
        XCTAssertEqual(try accountRows("raced"), 0, "the new account was undone")
        let code = try latestCode()
        assertThrows(.badCode) { try self.stores.identity.confirm(username: "raced", code: code) }
    }

    /// Over budget, an attempt is refused whatever it carries; the refusal ends with the window.
    func testThrottleBudgetAndWindow() throws {
        let throttles = Throttles(store: stores.metadata)
        let budget = try XCTUnwrap(Throttles.perAccount(.logIn))
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / budget.window).rounded(.down) * budget.window)
        for i in 0..<budget.attempts {
            XCTAssertNoThrow(try throttles.attempt(.logIn, account: "Victim", client: Client(address: "198.51.100.\(i)"), now: start),
                             "attempt \(i + 1)")
        }
        assertThrows(.rateLimited, "the account is over budget from any address") {
            try throttles.attempt(.logIn, account: "victim", client: Client(address: "203.0.113.1"), now: start)
        }
        XCTAssertNoThrow(try throttles.attempt(.logIn, account: "victim",
                                               client: Client(address: "203.0.113.9", knownDevice: true), now: start),
                         "the owner's known browser is not locked out")
        XCTAssertNoThrow(try throttles.attempt(.logIn, account: "victim", client: Client(address: "203.0.113.1"),
                                               now: start.addingTimeInterval(budget.window)),
                         "the lock-out ends with its window")
    }

    func testThrottlePerAddressCoversManyAccounts() throws {
        let throttles = Throttles(store: stores.metadata)
        let budget = Throttles.perAddress(.logIn)
        let now = Date()
        var refused = 0
        for i in 0...budget.attempts {
            do { try throttles.attempt(.logIn, account: "user\(i)", client: Client(address: "2001:db8:1:2::\(i + 1)"), now: now) }
            catch GalleryError.rateLimited { refused += 1 }
        }
        XCTAssertEqual(refused, 1, "one /64 is one client")
        XCTAssertNoThrow(try throttles.attempt(.logIn, account: "user0", client: Client(address: "2001:db8:1:3::1"), now: now))
    }

    /// NIST 800-63B: the issue's weak passwords, repetitive and sequential ones, the username
    /// and the email are refused with a message; a passphrase passes.
    func testPasswordRule() throws {
        for weak in ["1234567890", "aaaaaaaaaa", "password12", "Password123", "qwertyuiop", "abcdefghij",
                     "alice2024!!", "alice@example.com", "short"] {
            XCTAssertThrowsError(try AccountRules.checkPassword(weak, username: "alice", email: "alice@example.com"), weak) { error in
                guard case GalleryError.invalid(let message) = error else { return XCTFail("\(weak): \(error)") }
                XCTAssertFalse(message.isEmpty)
            }
        }
        for good in [password, "correct horse battery", "Zebra-lamp 4 moon"] {
            XCTAssertNoThrow(try AccountRules.checkPassword(good, username: "alice", email: "alice@example.com"), good)
        }
        assertThrows(.invalid("")) {
            try self.app(self.stores).accounts.register(username: "weak", email: "w@example.com", password: "password12",
                                                        client: self.client)
        }
    }
}

/// An identity provider whose sign-up is overtaken: right after it makes the account, someone
/// else's profile takes the username (what a concurrent sign-up or purge race looks like).
private final class RacingIdentity: IdentityProvider, @unchecked Sendable {  // immutable after init
    let base: IdentityProvider
    let metadata: MetadataStore
    init(base: IdentityProvider, metadata: MetadataStore) { self.base = base; self.metadata = metadata }

    func signUp(username: String, email: String, password: String) throws -> SignUpResult {
        let result = try base.signUp(username: username, email: email, password: password)
        try metadata.createProfile(Profile(userID: UUID().uuidString, username: username, email: "other@example.com",
                                           displayName: username, createdAt: Date()))
        return result
    }
    func confirm(username: String, code: String) throws { try base.confirm(username: username, code: code) }
    func resendCode(username: String) throws { try base.resendCode(username: username) }
    func signIn(username: String, password: String) throws -> Identity { try base.signIn(username: username, password: password) }
    func signOut(userID: String, providerToken: String?) throws { try base.signOut(userID: userID, providerToken: providerToken) }
    func deleteAccount(userID: String, providerToken: String?) throws { try base.deleteAccount(userID: userID, providerToken: providerToken) }
    func changePassword(userID: String, username: String, oldPassword: String, newPassword: String, providerToken: String?) throws {
        try base.changePassword(userID: userID, username: username, oldPassword: oldPassword, newPassword: newPassword,
                                providerToken: providerToken)
    }
}
