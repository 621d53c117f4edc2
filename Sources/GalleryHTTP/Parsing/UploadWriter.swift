import Foundation
import GalleryCore
import GalleryCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file part on its way to disk: written to a fresh private temporary file, hashed, and
/// its first bytes kept for sniffing, so the upload is never held whole in memory.
/// Disk failures are the server's, not the client's: they throw `GalleryError.unavailable`.
final class UploadWriter {
    let url: URL
    private var fd: Int32
    private var hasher: SHA256Hasher? = SHA256Hasher()
    private(set) var byteSize = 0
    private(set) var head: [UInt8] = []
    /// Coalesces the small pieces a slowly fed body arrives in into few write(2) calls.
    private var buffer: [UInt8] = []
    private static let bufferSize = 64 * 1024

    static let namePrefix = "upload-"

    init(directory: URL) throws {
        var template = Array(directory.appendingPathComponent(Self.namePrefix + "XXXXXX").path.utf8CString)
        // mkstemp: unique name, O_EXCL, mode 0600.
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw GalleryError.unavailable("cannot create a temporary file in \(directory.path): \(Self.errnoText())")
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // best effort: only matters if a child is ever spawned
        self.fd = fd
        url = URL(fileURLWithPath: String(cBuffer: template))
        buffer.reserveCapacity(Self.bufferSize)
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        hasher!.update(bytes)
        if head.count < UploadedFile.headLength {
            head.append(contentsOf: bytes.prefix(UploadedFile.headLength - head.count))
        }
        byteSize += bytes.count
        if buffer.count + bytes.count <= Self.bufferSize {
            buffer.append(contentsOf: bytes)
            return
        }
        try flush()
        if bytes.count >= Self.bufferSize {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Closes the file and describes it; the file stays on disk.
    func finish(fieldName: String, filename: String, contentType: String?) throws -> UploadedFile {
        try flush()
        let descriptor = fd
        fd = -1
        guard close(descriptor) == 0 else {
            throw GalleryError.unavailable("cannot close \(url.path): \(Self.errnoText())")
        }
        let digest = hasher.take()!.finalize()
        return UploadedFile(fieldName: fieldName, filename: filename, declaredContentType: contentType,
                            file: url, byteSize: byteSize, sha256: Encoding.hex(digest), head: head)
    }

    /// Closes and removes the file.
    func abandon() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        // Ignoring failure is right here: this is cleanup after another error, and the only
        // plausible failure (ENOENT) means there is nothing left to clean.
        _ = unlink(url.path)
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw GalleryError.unavailable("cannot write \(url.path): \(Self.errnoText())")
            }
            offset += n
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// write(2), named apart from `UploadWriter.write` which hides it inside the class.
private func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, pointer, count)
}

/// Upload files a killed responder left in the temporary directory.
public enum AbandonedUploads {
    /// Older than this, no request is still writing the file: nginx hands the responder a body
    /// it has buffered whole, so a part is written at disk speed. The sweep's default age too.
    public static let safeAge: TimeInterval = 3600

    /// Removes (or, with `dryRun`, only names) the upload files in `directory` last written
    /// before `cutoff`: older than any request could still be receiving. Returns their names.
    public static func remove(in directory: URL, writtenBefore cutoff: Date, dryRun: Bool = false) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        var removed: [String] = []
        for name in names.sorted() where name.hasPrefix(UploadWriter.namePrefix) {
            let path = directory.appendingPathComponent(name).path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let modified = attributes[.modificationDate] as? Date, modified < cutoff else { continue }
            if !dryRun {
                guard unlink(path) == 0 || errno == ENOENT else {
                    throw GalleryError.unavailable("cannot remove \(path): \(String(cString: strerror(errno)))")
                }
            }
            removed.append(name)
        }
        return removed
    }
}
