import Foundation
import GalleryCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files that appear whole or not at all: written to a temporary file beside the
/// destination, fsynced, renamed over it, and the directory fsynced so that the rename
/// survives a power cut. Temporary names start with ".tmp-".
enum AtomicFile {
    static let temporaryPrefix = ".tmp-"

    /// `fill` writes the content to the file descriptor it is given.
    static func write(to path: String, permissions: mode_t = 0o644, _ fill: (Int32) throws -> Void) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try makeDirectories(directory)
        let temporary = directory + "/" + temporaryPrefix + UUID().uuidString
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard fd >= 0 else { throw failure("create \(temporary)") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            defer { close(fd) }
            try fill(fd)
            guard fsync(fd) == 0 else { throw failure("fsync \(temporary)") }
        }
        CrashPoint.blobBeforeRename.reached()
        guard rename(temporary, path) == 0 else { throw failure("rename to \(path)") }
        renamed = true
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirfd >= 0 else { throw failure("open \(directory)") }
        defer { close(dirfd) }
        guard fsync(dirfd) == 0 else { throw failure("fsync \(directory)") }
    }

    static func makeDirectories(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        } catch {
            throw GalleryError.unavailable("file: cannot create directory \(path): \(error.localizedDescription)")
        }
    }

    private static let chunkSize = 1 << 20

    /// Streams in 1 MiB chunks: originals are never held in memory whole.
    static func copy(from source: Int32, to destination: Int32) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(source, buffer.baseAddress, chunkSize)
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("read")
            }
            try writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), to: destination)
        }
    }

    static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32) throws {
        var offset = 0
        while offset < bytes.count {
            let written = posixWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("write")
            }
            offset += written
        }
    }

    /// The current errno as an unavailable error naming the operation.
    static func failure(_ what: String) -> GalleryError {
        .unavailable("file: \(what): \(String(cString: strerror(errno)))")
    }
}

/// Outside `AtomicFile`, whose own `write` would hide the system call.
private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
