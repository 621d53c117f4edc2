import Foundation

/// The embedded backend's outbox read the way an operator would: the `.eml` files of a
/// folder, in name order (files starting with a dot are writes in progress).
public struct Outbox {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// Every message, or those to `recipient`.
    public func messages(to recipient: String? = nil) throws -> [String] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".eml") && !$0.hasPrefix(".") }.sorted()
        let all = try names.map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }
        guard let recipient else { return all }
        return all.filter { $0.contains("\r\nTo: \(recipient)\r\n") }
    }

    /// The 6-digit code of the newest mail to `recipient`.
    public func latestCode(to recipient: String) throws -> String? {
        guard let mail = try messages(to: recipient).last,
              let range = mail.range(of: #"code is [0-9]{6}"#, options: .regularExpression) else { return nil }
        return String(mail[range].suffix(6))
    }
}

/// Cheap Argon2 parameters where tests are about accounts, not about hashing
/// (GalleryCoreTests checks the production parameters).
public func useFastPasswordHashing() {
    setenv("GALLERY_ARGON2_MEMORY_KIB", "256", 1)
    setenv("GALLERY_ARGON2_ITERATIONS", "1", 1)
}
