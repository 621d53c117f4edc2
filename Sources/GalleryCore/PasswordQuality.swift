import CPasswordQuality
import Foundation

/// libpwquality, set for NIST SP 800-63B: no composition rules (no credits, no classes),
/// but cracklib's dictionary check, no run of more than 3 equal characters, no sequence
/// ("12345", "abcde") longer than 4, and not built from the username. Only `AccountRules`
/// calls it.
enum PasswordQuality {
    /// cracklib keeps state between calls, so one check at a time.
    private static let lock = NSLock()
    nonisolated(unsafe) private static let settings: OpaquePointer? = {
        guard let s = pwquality_default_settings() else { return nil }
        for (setting, value) in [(PWQ_SETTING_MIN_LENGTH, AccountRules.minPasswordLength),
                                 (PWQ_SETTING_DIG_CREDIT, 0), (PWQ_SETTING_UP_CREDIT, 0), (PWQ_SETTING_LOW_CREDIT, 0),
                                 (PWQ_SETTING_OTH_CREDIT, 0), (PWQ_SETTING_MIN_CLASS, 0), (PWQ_SETTING_MAX_CLASS_REPEAT, 0),
                                 (PWQ_SETTING_MAX_REPEAT, 3), (PWQ_SETTING_MAX_SEQUENCE, 4), (PWQ_SETTING_DICT_CHECK, 1),
                                 (PWQ_SETTING_USER_CHECK, 1), (PWQ_SETTING_GECOS_CHECK, 0)] {
            _ = pwquality_set_int_value(s, Int32(setting), Int32(value))
        }
        return s
    }()

    /// Nil when the password passes; otherwise libpwquality's reason, in its words
    /// ("it is based on a dictionary word"). Fails closed: a library that cannot check
    /// (missing dictionary) refuses every password rather than letting any through.
    static func problem(_ password: String, username: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        guard let settings else { return "the password checker is not available" }
        var aux: UnsafeMutableRawPointer?
        let score = pwquality_check(settings, password, nil, username, &aux)
        guard score < 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        let text = pwquality_strerror(&buffer, buffer.count, score, aux).map { String(cString: $0) } ?? "error \(score)"
        // pwquality's messages start "The password ..."; the form's sentence says that already.
        let reason = text.hasPrefix("The password ") ? String(text.dropFirst("The password ".count)) : text
        return reason.hasSuffix(".") ? String(reason.dropLast()) : reason
    }
}
