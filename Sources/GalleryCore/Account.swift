import Foundation

/// What the identity provider knows of a signed-in person. `userID` is the provider's stable
/// subject (a UUID locally, Cognito's `sub` on AWS) and keys everything the user owns.
public struct Identity: Equatable, Sendable {
    public var userID: String
    public var username: String
    public var email: String
    /// Opaque to everyone but the provider (Cognito's tokens); nil for local accounts.
    /// Secret: kept in the server-side session, never logged, never sent to the browser.
    public var providerToken: String?
    public init(userID: String, username: String, email: String, providerToken: String? = nil) {
        self.userID = userID
        self.username = username
        self.email = email
        self.providerToken = providerToken
    }
}

/// The profile kept in the metadata store beside the account.
public struct Profile: Equatable, Sendable {
    public var userID: String
    public var username: String
    public var email: String
    public var displayName: String
    public var createdAt: Date
    /// Shown on the public page /u/{username}.
    public var bio: String
    /// Visible to the owner only.
    public var address: String
    public var phone: String
    /// An image of the owner's, thumbnailed like any other, shown as the avatar.
    public var avatarImageID: String?
    /// The visibility new uploads get unless the upload form says otherwise.
    public var defaultVisibility: Visibility
    /// Set the moment the owner confirms account removal; from then on nothing of theirs is
    /// served, while a job deletes the rest.
    public var deletedAt: Date?
    /// Whether people who may see a photo also see where it was taken (from its EXIF GPS).
    /// Off by default: a position tells where someone lives.
    public var sharePosition: Bool
    /// Whether others who download an original get the copy without its position. On by
    /// default; the owner always gets the file as uploaded.
    public var stripPositionForOthers: Bool
    public init(userID: String, username: String, email: String, displayName: String, createdAt: Date,
                bio: String = "", address: String = "", phone: String = "", avatarImageID: String? = nil,
                defaultVisibility: Visibility = .public, deletedAt: Date? = nil,
                sharePosition: Bool = false, stripPositionForOthers: Bool = true) {
        self.sharePosition = sharePosition
        self.stripPositionForOthers = stripPositionForOthers
        self.bio = bio
        self.address = address
        self.phone = phone
        self.avatarImageID = avatarImageID
        self.defaultVisibility = defaultVisibility
        self.deletedAt = deletedAt
        self.userID = userID
        self.username = username
        self.email = email
        self.displayName = displayName
        self.createdAt = createdAt
    }
}

/// A server-side session. Only a hash of the cookie's random id is stored, so a copy of the
/// database cannot be replayed as cookies.
public struct SessionRecord: Equatable, Sendable {
    public var idHash: String
    public var userID: String
    public var createdAt: Date
    public var lastSeenAt: Date
    /// Absolute expiry; idle expiry is `lastSeenAt + idle timeout`, checked by the web layer.
    public var expiresAt: Date
    /// `Identity.providerToken` from sign-in, needed to sign out of the provider.
    public var providerToken: String?
    /// What the browser called itself at log-in, shortened (`SessionDevice`), for the owner's
    /// list of sessions.
    public var device: String
    public init(idHash: String, userID: String, createdAt: Date, lastSeenAt: Date, expiresAt: Date,
                providerToken: String? = nil, device: String = "") {
        self.idHash = idHash
        self.providerToken = providerToken
        self.device = device
        self.userID = userID
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
    }
}
