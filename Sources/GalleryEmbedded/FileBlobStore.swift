import Foundation
import GalleryCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Blobs as files under `root`, served by nginx from an internal location that aliases
/// `root` (`location /_blobs/ { internal; alias <root>/; }`).
///
/// Writes are atomic (see `AtomicFile`): a crash leaves the old blob or the new one, never
/// half of one. Temporary names start with a dot, which no valid key segment may.
public final class FileBlobStore: BlobStore {
    public let root: URL
    public let accelPrefix: String

    public init(root: URL, accelPrefix: String = "/_blobs/") throws {
        self.root = root.standardizedFileURL
        self.accelPrefix = accelPrefix.hasSuffix("/") ? accelPrefix : accelPrefix + "/"
        try AtomicFile.makeDirectories(self.root.path)
    }

    public func put(key: String, file: URL, contentType: String) throws {
        let path = try self.path(for: key)
        let source = open(file.path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw AtomicFile.failure("blob source \(file.path)") }
        defer { close(source) }
        try AtomicFile.write(to: path) { try AtomicFile.copy(from: source, to: $0) }
    }

    public func put(key: String, data: Data, contentType: String) throws {
        let path = try self.path(for: key)
        try AtomicFile.write(to: path) { fd in
            try data.withUnsafeBytes { try AtomicFile.writeAll($0, to: fd) }
        }
    }

    public func download(key: String, to file: URL) throws {
        let path = try self.path(for: key)
        let source = open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else {
            if errno == ENOENT { throw GalleryError.notFound }
            throw AtomicFile.failure("blob \(key)")
        }
        defer { close(source) }
        let destination = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard destination >= 0 else { throw AtomicFile.failure("download target \(file.path)") }
        defer { close(destination) }
        try AtomicFile.copy(from: source, to: destination)
    }

    public func delete(keys: [String]) throws {
        let paths = try keys.map(path(for:))  // refuse the whole call if one key is bad
        for path in paths where unlink(path) != 0 && errno != ENOENT {
            throw AtomicFile.failure("delete \(path)")
        }
    }

    /// nginx sets Content-Type from the extension; the web layer adds Content-Disposition
    /// for downloads, which nginx passes through with the redirect.
    public func delivery(key: String, contentType: String, downloadName: String?) throws -> BlobDelivery {
        _ = try path(for: key)
        return .accelRedirect(accelPrefix + key)
    }

    /// A depth-first walk in key order: a directory sorts as its name plus "/" (every key
    /// below it starts so), which puts "a-b" before "a/…" before "ab" as in S3. Directories
    /// wholly at or before the cursor are skipped unread, so a page costs about one path of
    /// the tree plus the page, not the whole store. Dot names (temporary files of writes in
    /// progress) and names no key could have are not blobs and are left out.
    public func list(prefix: String, cursor: String?, limit: Int) throws -> Page<BlobInfo> {
        let limit = try PageSize.checked(limit)
        // A prefix is good when some key could start with it.
        if !prefix.isEmpty { _ = try path(for: prefix + "x") }
        let directory = prefix.range(of: "/", options: .backwards).map { String(prefix[..<$0.upperBound]) } ?? ""
        let namePrefix = String(prefix.dropFirst(directory.count))
        var found: [BlobInfo] = []
        try walk(directory, namePrefix: namePrefix, after: cursor ?? "", into: &found, wanted: limit + 1)
        guard found.count > limit else { return Page(items: found, next: nil) }
        found.removeLast()
        return Page(items: found, next: found.last?.key)
    }

    /// Adds to `found` the blobs under the key directory `directory` ("" or ending in "/")
    /// whose names there start with `namePrefix` and whose keys sort after `after`.
    private func walk(_ directory: String, namePrefix: String, after: String, into found: inout [BlobInfo], wanted: Int) throws {
        var entries: [(sortKey: String, name: String, isDirectory: Bool, info: stat)] = []
        let dirPath = root.path + "/" + directory
        guard let handle = opendir(dirPath) else {
            if errno == ENOENT || errno == ENOTDIR { return }
            throw AtomicFile.failure("list \(dirPath)")
        }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix(namePrefix), !name.hasPrefix("."), (try? path(for: name)) != nil else { continue }
            var info = stat()
            guard lstat(dirPath + name, &info) == 0 else {
                if errno == ENOENT { continue }  // deleted while we read the directory
                throw AtomicFile.failure("stat \(dirPath + name)")
            }
            let type = info.st_mode & S_IFMT
            guard type == S_IFDIR || type == S_IFREG else { continue }
            entries.append((type == S_IFDIR ? name + "/" : name, name, type == S_IFDIR, info))
        }
        for entry in entries.sorted(by: { $0.sortKey.utf8.lexicographicallyPrecedes($1.sortKey.utf8) }) {
            guard found.count < wanted else { return }
            let key = directory + entry.sortKey
            if entry.isDirectory {
                // Every key below starts with `key`: all at or before the cursor unless the cursor is inside.
                if key.utf8.lexicographicallyPrecedes(after.utf8) && !after.hasPrefix(key) { continue }
                try walk(key, namePrefix: "", after: after, into: &found, wanted: wanted)
            } else if after.utf8.lexicographicallyPrecedes(key.utf8) {
                let modified = entry.info.st_mtim
                found.append(BlobInfo(key: key, byteSize: Int64(entry.info.st_size),
                                      modifiedAt: Date(timeIntervalSince1970: Double(modified.tv_sec) + Double(modified.tv_nsec) / 1e9)))
            }
        }
    }

    /// `.tmp-` files (`AtomicFile`) older than `cutoff` anywhere under the root: a write that a
    /// kill interrupted before its rename.
    public func removeAbandonedWrites(startedBefore cutoff: Date, dryRun: Bool) throws -> [String] {
        var found: [String] = []
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.contentModificationDateKey, .isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard url.lastPathComponent.hasPrefix(AtomicFile.temporaryPrefix),
                  let values = try? url.resourceValues(forKeys: [.contentModificationDateKey, .isRegularFileKey]),
                  values.isRegularFile == true, let modified = values.contentModificationDate, modified < cutoff else { continue }
            let name = String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))
            if !dryRun {
                guard unlink(url.path) == 0 || errno == ENOENT else { throw AtomicFile.failure("remove \(name)") }
            }
            found.append(name)
        }
        return found.sorted()
    }

    /// The file of a key (`BlobKeys.check` refuses anything that could leave the folder or
    /// name a write in progress).
    func path(for key: String) throws -> String {
        try BlobKeys.check(key)
        return root.path + "/" + key
    }
}
