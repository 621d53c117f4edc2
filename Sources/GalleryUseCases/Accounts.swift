import Foundation
import GalleryCore
import Logging

/// Signing up, in and out, the profile, the password and asking for the account's removal.
/// Sessions are the web's (cookies); the identity provider and the profile are here.
public struct Accounts: Sendable {
    let stores: Stores
    let logger: Logger

    var throttles: Throttles { Throttles(store: stores.metadata) }

    /// Throws `.invalid` (message for the form), `.conflict` for a taken username, or
    /// `.rateLimited`. A username is taken while any profile holds it, including one whose
    /// account is being removed: that is checked before the identity provider is asked, and
    /// if the profile still cannot be made (a race), the new account is deleted again, so a
    /// refused sign-up leaves no account behind and no code that could confirm one.
    public func register(username: String, email: String, password: String, client: Client) throws {
        try throttles.attempt(.signUp, account: nil, client: client)
        try AccountRules.checkUsername(username)
        if try stores.metadata.profile(username: username) != nil { throw GalleryError.conflict("That username is taken.") }
        let result = try stores.identity.signUp(username: username, email: email, password: password)
        do {
            try stores.metadata.createProfile(Profile(userID: result.userID, username: username, email: email,
                                                      displayName: username, createdAt: Date()))
        } catch {
            do {
                try stores.identity.deleteAccount(userID: result.userID, providerToken: nil)
            } catch let undo {
                logger.error("sign-up of \(username) refused, but its account \(result.userID) could not be deleted: \(undo)")
            }
            throw error
        }
        logger.info("account created for user \(result.userID)")
    }

    public func confirm(username: String, code: String, client: Client) throws {
        try throttles.attempt(.confirm, account: username, client: client)
        try stores.identity.confirm(username: username, code: code)
    }

    /// The same outcome whether or not the account exists (the throttle counts the name
    /// either way).
    public func resendCode(username: String, client: Client) throws {
        try throttles.attempt(.resend, account: username, client: client)
        try stores.identity.resendCode(username: username)
    }

    /// The identity, after making sure it has a profile (an account made outside the web form,
    /// e.g. in Cognito's console, gets one at its first log-in). Throws `.rateLimited` before
    /// the password is even checked when the account or the address is over its budget.
    public func signIn(username: String, password: String, client: Client) throws -> Identity {
        try throttles.attempt(.logIn, account: username, client: client)
        let identity = try stores.identity.signIn(username: username, password: password)
        if try stores.metadata.profile(userID: identity.userID) == nil {
            try stores.metadata.createProfile(Profile(userID: identity.userID, username: identity.username,
                                                      email: identity.email, displayName: identity.username,
                                                      createdAt: Date()))
        }
        return identity
    }

    public func profile(userID: String) throws -> Profile? {
        try stores.metadata.profile(userID: userID)
    }

    /// Ends the provider's sessions of the user (the web ends its own cookie session).
    public func signOut(userID: String, providerToken: String?) throws {
        try stores.identity.signOut(userID: userID, providerToken: providerToken)
    }

    /// Throws `.badCredentials` when `old` is wrong, `.invalid` for a weak new one,
    /// `.rateLimited`. Once changed, every other session of the user ends: whoever knew the
    /// old password is signed out everywhere but here (`keeping`, the session it was changed in).
    public func changePassword(_ user: Profile, old: String, new: String, providerToken: String?,
                               keeping session: String?, client: Client) throws {
        try throttles.attempt(.passwordChange, account: user.userID, client: client)
        try AccountRules.checkPassword(new, username: user.username, email: user.email)
        try stores.identity.changePassword(userID: user.userID, username: user.username, oldPassword: old,
                                           newPassword: new, providerToken: providerToken)
        try endSessions(of: user, except: session)
        logger.info("password of \(user.userID) changed; other sessions ended")
    }

    /// The user's sessions, most recently seen first.
    public func sessions(of user: Profile) throws -> [SessionRecord] {
        try stores.metadata.sessions(userID: user.userID)
    }

    /// "Sign out of all other devices": every session of the user but `session` ends.
    public func endSessions(of user: Profile, except session: String?) throws {
        for other in try stores.metadata.sessions(userID: user.userID) where other.idHash != session {
            try stores.metadata.deleteSession(idHash: other.idHash)
        }
    }

    /// Saves display name, bio, address, phone, default visibility and position choices
    /// (already checked by `Field`).
    public func updateProfile(_ profile: Profile) throws {
        try stores.catalog.updateProfileDetails(profile)
    }

    /// After the password is typed again: from this call on nothing of the user is served
    /// (tombstone, sessions gone, account gone at the identity provider); a job deletes the
    /// photos, derivatives, albums and profile (`AccountRemoval.purge`). Throws
    /// `.badCredentials` for a wrong password, and then nothing changed.
    public func requestRemoval(_ user: Profile, password: String, providerToken: String?, client: Client) throws {
        // The password is checked again, so it is guessed no faster here than elsewhere.
        try throttles.attempt(.passwordChange, account: user.userID, client: client)
        _ = try stores.identity.signIn(username: user.username, password: password)
        try stores.catalog.markDeleted(userID: user.userID, at: Date())
        try stores.identity.deleteAccount(userID: user.userID, providerToken: providerToken)
        try stores.jobs.enqueue(.account(userID: user.userID), availableAt: Date())
        logger.info("account \(user.userID) removed by its owner; deletion job queued")
    }
}
