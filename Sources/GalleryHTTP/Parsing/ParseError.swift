import GalleryCore

/// Why a request body or header was refused. Messages never echo the input back, so they are
/// safe to show to the user as they are.
public enum ParseError: Error, Equatable, Sendable {
    /// The input breaks the syntax (→ 400).
    case malformed(String)
    /// The input is over a limit; the message names which one (→ 413).
    case tooLarge(String)
}

extension ParseError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .malformed(let m): return "malformed request: \(m)"
        case .tooLarge(let m): return "request too large: \(m)"
        }
    }

    /// The same refusal in the vocabulary every handler maps to a status code.
    public var galleryError: GalleryError {
        switch self {
        case .malformed(let m): return .invalid(m)
        case .tooLarge(let m): return .tooLarge(m)
        }
    }
}
