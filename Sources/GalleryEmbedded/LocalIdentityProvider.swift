import Foundation
import GalleryCore
import GalleryCrypto
import GalleryPasswords

/// Accounts kept in the SQLite file: Argon2id password hashes, and a 6-digit code mailed
/// at sign-up that confirms the email address. Only a SHA-256 of the code is stored.
public final class LocalIdentityProvider: IdentityProvider {
    public let database: SQLiteDatabase
    public let mailer: Mailer
    public let siteURL: String

    /// How long a mailed code works (Cognito's confirmation codes last as long).
    public static let codeLifetime: TimeInterval = 24 * 3600
    /// Wrong guesses allowed per `codeGuessWindow`, whatever the number of codes mailed
    /// meanwhile (a new code does not buy new guesses): 5 in a million an hour at most.
    public static let maxCodeAttempts = 5
    /// After `maxCodeAttempts` wrong guesses, confirming waits until this long after the
    /// first of them: a lock-out that ends by itself.
    public static let codeGuessWindow: TimeInterval = 3600

    public init(database: SQLiteDatabase, mailer: Mailer, siteURL: String) {
        self.database = database
        self.mailer = mailer
        self.siteURL = siteURL.hasSuffix("/") ? String(siteURL.dropLast()) : siteURL
    }

    public func signUp(username: String, email: String, password: String) throws -> SignUpResult {
        try AccountRules.checkUsername(username)
        let email = try AccountRules.normalizedEmail(email)
        try AccountRules.checkPassword(password, username: username, email: email)
        let passwordHash = try hashPassword(password)
        let userID = UUID().uuidString.lowercased()
        let code = SecureRandom.digits(6)
        let now = Date()
        do {
            try database.read {
                try $0.run("""
                    INSERT INTO accounts (user_id, username, email, password_hash, confirmed, code_hash,
                                          code_expires, code_attempts, created_at)
                    VALUES (?, ?, ?, ?, 0, ?, ?, 0, ?)
                    """, [userID, username, email, passwordHash, SHA256.hex(Array(code.utf8)),
                          now.addingTimeInterval(Self.codeLifetime), now])
            }
        } catch GalleryError.conflict {
            throw GalleryError.conflict("That username is taken.")
        }
        do {
            try sendCode(code, username: username, email: email)
        } catch {
            // An account nobody can confirm would only block the username: undo the sign-up.
            try database.read { try $0.run("DELETE FROM accounts WHERE user_id = ?", [userID]) }
            throw error
        }
        return SignUpResult(userID: userID, codeDestination: AccountRules.masked(email))
    }

    public func confirm(username: String, code: String) throws {
        let guess = Array(SHA256.hex(Array(code.trimmingCharacters(in: .whitespaces).utf8)).utf8)
        let now = Date()
        // The attempt counter must be committed even when the code is wrong, so the
        // transaction returns the verdict and the error is thrown after it.
        let confirmed: Bool = try database.write { db in
            let row = try db.queryFirst("""
                SELECT user_id, confirmed, code_hash, code_expires, code_attempts, code_failures_since
                FROM accounts WHERE username = ?
                """, [username]) { row in
                (userID: row.string(0), confirmed: row.bool(1), codeHash: row.optionalString(2),
                 expires: row.optionalDate(3), attempts: row.int(4), since: row.optionalDate(5))
            }
            guard let row, !row.confirmed, let codeHash = row.codeHash, let expires = row.expires, expires > now
            else { return false }
            let windowOpen = row.since.map { now < $0.addingTimeInterval(Self.codeGuessWindow) } ?? false
            if windowOpen && row.attempts >= Self.maxCodeAttempts { return false }
            if constantTimeEquals(guess, Array(codeHash.utf8)) {
                try db.run("""
                    UPDATE accounts SET confirmed = 1, code_hash = NULL, code_expires = NULL, code_attempts = 0,
                        code_failures_since = NULL
                    WHERE user_id = ?
                    """, [row.userID])
                return true
            }
            if windowOpen {
                try db.run("UPDATE accounts SET code_attempts = code_attempts + 1 WHERE user_id = ?", [row.userID])
            } else {
                try db.run("UPDATE accounts SET code_attempts = 1, code_failures_since = ? WHERE user_id = ?",
                           [now, row.userID])
            }
            return false
        }
        guard confirmed else { throw GalleryError.badCode }
    }

    /// Unknown and already confirmed usernames get no mail and no error. The count of wrong
    /// guesses is kept: a new code is no new set of guesses. (How often codes may be mailed
    /// is the application's throttle, `Throttles`.)
    public func resendCode(username: String) throws {
        let code = SecureRandom.digits(6)
        let now = Date()
        let recipient: String? = try database.write { db in
            guard let email = try db.queryFirst(
                "SELECT email FROM accounts WHERE username = ? AND confirmed = 0", [username], { $0.string(0) })
            else { return nil }
            try db.run("""
                UPDATE accounts SET code_hash = ?, code_expires = ? WHERE username = ?
                """, [SHA256.hex(Array(code.utf8)), now.addingTimeInterval(Self.codeLifetime), username])
            return email
        }
        if let recipient { try sendCode(code, username: username, email: recipient) }
    }

    public func signIn(username: String, password: String) throws -> Identity {
        let account = try database.read {
            try $0.queryFirst("""
                SELECT user_id, username, email, password_hash, confirmed FROM accounts WHERE username = ?
                """, [username]) { row in
                (userID: row.string(0), username: row.string(1), email: row.string(2),
                 passwordHash: row.string(3), confirmed: row.bool(4))
            }
        }
        guard let account else {
            // As slow as a wrong password, so the time taken does not tell who has an account.
            PasswordHasher.dummyVerify(password)
            throw GalleryError.badCredentials
        }
        guard PasswordHasher.verify(password, against: account.passwordHash) else {
            throw GalleryError.badCredentials
        }
        if PasswordHasher.needsRehash(account.passwordHash) {
            // Upgrading the hash to the current parameters is an improvement, not part of
            // signing in: if it fails the old hash still works and the next sign-in retries.
            _ = try? database.read { db in
                try db.run("UPDATE accounts SET password_hash = ? WHERE user_id = ?",
                           [try self.hashPassword(password), account.userID])
            }
        }
        guard account.confirmed else { throw GalleryError.notConfirmed }
        return Identity(userID: account.userID, username: account.username, email: account.email)
    }

    /// Nothing to do: local sign-in hands out no tokens of its own, and the sessions that
    /// represent a sign-in live in the metadata store, where the web layer deletes them.
    public func signOut(userID: String, providerToken: String?) throws {}

    public func deleteAccount(userID: String, providerToken: String?) throws {
        try database.read { try $0.run("DELETE FROM accounts WHERE user_id = ?", [userID]) }
    }

    public func changePassword(userID: String, username: String, oldPassword: String, newPassword: String,
                               providerToken: String?) throws {
        try AccountRules.checkPassword(newPassword, username: username, email: "")
        let stored = try database.read {
            try $0.queryFirst("SELECT password_hash FROM accounts WHERE user_id = ?", [userID]) { $0.string(0) }
        }
        guard let stored else {
            PasswordHasher.dummyVerify(oldPassword)
            throw GalleryError.badCredentials
        }
        guard PasswordHasher.verify(oldPassword, against: stored) else { throw GalleryError.badCredentials }
        let hash = try hashPassword(newPassword)
        try database.read { db in
            _ = try db.run("UPDATE accounts SET password_hash = ? WHERE user_id = ?", [hash, userID])
        }
    }

    private func hashPassword(_ password: String) throws -> String {
        do {
            return try PasswordHasher.hash(password)
        } catch {
            throw GalleryError.unavailable("argon2: \(error)")
        }
    }

    private func sendCode(_ code: String, username: String, email: String) throws {
        var query = URLComponents()
        query.queryItems = [URLQueryItem(name: "username", value: username)]
        let link = siteURL + "/confirm" + (query.string ?? "")
        let body = """
            Hello \(username),

            your confirmation code is \(code)

            Enter it at \(link)
            It works for 24 hours. If you did not sign up, ignore this mail.
            """
        try mailer.send(MailMessage(to: email, subject: "Confirm your gallery account", body: body))
    }
}
