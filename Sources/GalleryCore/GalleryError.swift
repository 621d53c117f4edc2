import Foundation

/// Every error a seam or a handler may raise. The web layer maps each case to one status code
/// and one page, so a backend never decides what the user sees.
public enum GalleryError: Error, Equatable, Sendable {
    /// The object does not exist, or the caller may not know that it does (→ 404).
    case notFound
    /// A unique value is taken, e.g. a username (→ 409, with a message for the form).
    case conflict(String)
    /// Input that fails validation; the message is safe to show (→ 400 / 422).
    case invalid(String)
    /// Wrong username or password, or unknown user: one message for both (→ 401 on the form).
    case badCredentials
    /// The account exists but its email is not confirmed yet.
    case notConfirmed
    /// A confirmation code that is wrong or has expired.
    case badCode
    /// Too many attempts in a short time (→ 429).
    case rateLimited
    /// Over a size, pixel or quota limit; the message says which (→ 413).
    case tooLarge(String)
    /// A lease was taken over or a version moved on: the caller's write was refused (fencing).
    case leaseLost
    /// A backend (database, object store, identity provider) failed or timed out (→ 503).
    /// The message names the call for the logs; users see a generic page.
    case unavailable(String)
}

extension GalleryError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notFound: return "not found"
        case .conflict(let m): return "conflict: \(m)"
        case .invalid(let m): return "invalid: \(m)"
        case .badCredentials: return "bad credentials"
        case .notConfirmed: return "account not confirmed"
        case .badCode: return "wrong or expired code"
        case .rateLimited: return "rate limited"
        case .tooLarge(let m): return "too large: \(m)"
        case .leaseLost: return "lease lost"
        case .unavailable(let m): return "unavailable: \(m)"
        }
    }
}
