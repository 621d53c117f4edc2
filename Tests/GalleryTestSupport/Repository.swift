import Foundation

/// Files of this repository that tests use in place (templates, helper scripts), found from
/// this source file's own path, so that tests run from any working directory.
public enum Repository {
    /// The repository's root: this file is `Tests/GalleryTestSupport/Repository.swift`.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `relativePath` under the root, e.g. `templates` or `Tests/EndToEnd/moto_serialized.py`.
    public static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }
}
