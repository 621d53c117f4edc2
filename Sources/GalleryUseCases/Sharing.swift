import GalleryCore

/// The one rule of visibility and links, for photos and albums alike: a share link exists
/// exactly while the thing is unlisted. It is made when the thing becomes unlisted, kept while
/// it stays so, and gone the moment it stops being.
public enum Sharing {
    /// What a photo or album owner can do with its link.
    public enum Action: String, Sendable {
        /// A fresh link (any old one stops working); the thing becomes unlisted.
        case newLink = "new"
        /// No link; the thing becomes private.
        case revoke
    }

    /// The token that goes with `visibility`, given the `current` one.
    public static func token(for visibility: Visibility, current: String?) -> String? {
        guard visibility == .unlisted else { return nil }
        return current ?? Identifiers.shareToken()
    }

    /// Visibility and token after `action`.
    public static func apply(_ action: Action) -> (visibility: Visibility, token: String?) {
        switch action {
        case .newLink: return (.unlisted, Identifiers.shareToken())
        case .revoke: return (.private, nil)
        }
    }
}
