import Foundation
import GalleryCore
import Logging

/// Signing up, in and out, the profile, the password and asking for the account's removal.
/// Sessions are the web's (cookies); the identity provider and the profile are here.
public struct Accounts: Sendable {
    let stores: Stores
    let logger: Logger

    /// Throws `.invalid` (message for the form) or `.conflict` for a taken username.
    public func register(username: String, email: String, password: String) throws {
        let result = try stores.identity.signUp(username: username, email: email, password: password)
        try stores.metadata.createProfile(Profile(userID: result.userID, username: username, email: email,
                                                  displayName: username, createdAt: Date()))
        logger.info("account created for user \(result.userID)")
    }

    public func confirm(username: String, code: String) throws {
        try stores.identity.confirm(username: username, code: code)
    }

    /// The same outcome whether or not the account exists.
    public func resendCode(username: String) throws {
        try stores.identity.resendCode(username: username)
    }

    /// The identity, after making sure it has a profile (an account made outside the web form,
    /// e.g. in Cognito's console, gets one at its first log-in).
    public func signIn(username: String, password: String) throws -> Identity {
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

    /// Throws `.badCredentials` when `old` is wrong, `.invalid` for a weak new one.
    public func changePassword(_ user: Profile, old: String, new: String, providerToken: String?) throws {
        try stores.identity.changePassword(userID: user.userID, username: user.username, oldPassword: old,
                                           newPassword: new, providerToken: providerToken)
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
    public func requestRemoval(_ user: Profile, password: String, providerToken: String?) throws {
        _ = try stores.identity.signIn(username: user.username, password: password)
        try stores.catalog.markDeleted(userID: user.userID, at: Date())
        try stores.identity.deleteAccount(userID: user.userID, providerToken: providerToken)
        try stores.jobs.enqueue(.account(userID: user.userID), availableAt: Date())
        logger.info("account \(user.userID) removed by its owner; deletion job queued")
    }
}
