import Foundation

/// The test photos: `Tests/Fixtures` in this repository (see its README for what is there and
/// under which licence), or the folder `GALLERY_TESTDATA` names, laid out the same way.
public enum Fixtures {
    public static let directory: URL = {
        if let path = ProcessInfo.processInfo.environment["GALLERY_TESTDATA"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return Repository.url("Tests/Fixtures")
    }()

    /// A photo by its path under the fixtures folder, e.g. `photos/albums/nature/silver_fir.jpg`.
    /// Not checked: tests that read it fail with the path in the error.
    public static func url(_ relativePath: String) -> URL {
        directory.appendingPathComponent(relativePath)
    }

    /// The photo's URL, checked: a missing file is an error that names the path (never a skip:
    /// a test that skips for want of its photo would pass without testing anything).
    public static func file(_ relativePath: String) throws -> URL {
        let url = url(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Missing(path: url.path) }
        return url
    }

    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: file(relativePath))
    }

    public static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try data(relativePath))
    }

    /// Every regular file under `relativeDirectory`, recursively and sorted by path, except the
    /// licences and READMEs kept beside the photos.
    public static func files(under relativeDirectory: String) throws -> [URL] {
        let root = url(relativeDirectory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue,
              let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        else { throw Missing(path: root.path) }
        let files = walker.compactMap { $0 as? URL }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .filter { !["LICENSE", "README.md"].contains($0.lastPathComponent) }
            .sorted { $0.path < $1.path }
        guard !files.isEmpty else { throw Missing(path: root.path) }
        return files
    }

    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String {
            "test photo not found: \(path) (Tests/Fixtures, or the folder GALLERY_TESTDATA names)"
        }
    }
}
