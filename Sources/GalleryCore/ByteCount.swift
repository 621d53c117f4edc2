import Foundation

/// Sizes as people read them, on pages and in messages alike.
public enum ByteCount {
    /// "512 bytes", "3.4 KB", "12.0 MB", "5.0 GB".
    public static func text(_ count: Int) -> String {
        if count < 1024 { return "\(count) bytes" }
        if count < 1024 * 1024 { return String(format: "%.1f KB", Double(count) / 1024) }
        if count < 1024 * 1024 * 1024 { return String(format: "%.1f MB", Double(count) / (1024 * 1024)) }
        return String(format: "%.1f GB", Double(count) / (1024 * 1024 * 1024))
    }
}
