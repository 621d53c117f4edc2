import Foundation

/// What a username, an email address and a password must look like, for every identity
/// provider, so that both backends refuse the same input with the same message. The messages
/// are shown on the sign-up form.
public enum AccountRules {
    public static func checkUsername(_ username: String) throws {
        let allowed = username.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
        guard allowed, (3...32).contains(username.utf8.count) else {
            throw GalleryError.invalid("A username has 3 to 32 characters: letters, digits, '_', '.' and '-'.")
        }
    }

    /// Trimmed; one '@', a dotted domain of letters, digits and '-', no spaces or controls.
    public static func normalizedEmail(_ raw: String) throws -> String {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let bad = GalleryError.invalid("That email address does not look right.")
        guard email.utf8.count <= 254 else { throw bad }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last,
              (1...64).contains(local.utf8.count),
              local.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7f && !"<>()[],;:\\\"".unicodeScalars.contains($0) })
        else { throw bad }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ label in
            (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }
        }) else { throw bad }
        return email
    }

    /// NIST SP 800-63B (5.1.1.2): at least 10 characters (at most 256, so hashing stays
    /// cheap), any characters, no composition rules; refused when it is a common or
    /// dictionary password, repetitive or sequential, or the username or email address (or
    /// made of them). The dictionary check is cracklib's (Debian's `cracklib-runtime` list),
    /// through libpwquality (`PasswordQuality`).
    public static func checkPassword(_ password: String, username: String, email: String) throws {
        guard password.count >= minPasswordLength else {
            throw GalleryError.invalid("A password needs at least \(minPasswordLength) characters. A few words make a good one.")
        }
        guard password.count <= 256 else { throw GalleryError.invalid("A password has at most 256 characters.") }
        // The username anywhere in it, the email address, or the email's name with a few
        // digits or signs around it ("ann.lee2024!"); a word that merely contains the email's
        // name ("another" for "other@…") is fine.
        let lowered = password.lowercased()
        let local = email.split(separator: "@").first.map { $0.lowercased() } ?? ""
        let letters = String(lowered.unicodeScalars.filter { CharacterSet.letters.contains($0) || $0 == "." })
        if (username.count >= 3 && lowered.contains(username.lowercased()))
            || (!email.isEmpty && lowered.contains(email.lowercased()))
            || (local.count >= 3 && letters == local) {
            throw GalleryError.invalid("A password must not contain your username or email address.")
        }
        if let problem = PasswordQuality.problem(password, username: username) {
            throw GalleryError.invalid("That password is too easy to guess: \(problem). Choose another; a few unrelated words work well.")
        }
    }

    public static let minPasswordLength = 10

    /// "a***@example.com": enough for the person to recognise, little for anyone else.
    public static func masked(_ email: String) -> String {
        guard let at = email.firstIndex(of: "@"), let first = email.first else { return "***" }
        return "\(first)***\(email[at...])"
    }
}
