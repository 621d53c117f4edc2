import Foundation
#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemRead = Darwin.read
private let systemWrite = Darwin.write
#endif

/// A file operation that failed, with the path and the system's reason.
public struct FileIOError: Error, Equatable, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: Int32

    public var description: String {
        "could not \(operation) \(path): \(String(cString: strerror(code)))"
    }

    static func fromErrno(_ operation: String, _ path: String) -> FileIOError {
        FileIOError(operation: operation, path: path, code: errno)
    }
}

/// A file read a chunk at a time, and read again from the start (Fernet authenticates the whole
/// token before it decrypts any of it).
final class ReadableFile {
    private let descriptor: Int32
    let path: String

    init(_ url: URL) throws {
        path = url.path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileIOError.fromErrno("open", path) }
    }

    deinit { close(descriptor) }

    /// Fills as much of `buffer` as one read gives; 0 at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = systemRead(descriptor, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw FileIOError.fromErrno("read", path) }
        }
    }

    func rewind() throws {
        guard lseek(descriptor, 0, SEEK_SET) == 0 else { throw FileIOError.fromErrno("seek in", path) }
    }
}

/// Writes a file that appears whole or not at all: a 0600 temporary file beside the target,
/// synced and renamed over it; removed if anything fails, so no partial output is ever left.
final class AtomicFileWriter {
    private let descriptor: Int32
    private let temporaryPath: String

    private init(descriptor: Int32, temporaryPath: String) {
        self.descriptor = descriptor
        self.temporaryPath = temporaryPath
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileIOError.fromErrno("write", temporaryPath)
                }
                offset += n
            }
        }
    }

    static func write(to url: URL, _ body: (AtomicFileWriter) throws -> Void) throws {
        let target = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + "." + Encoding.hex(SecureRandom.bytes(8)) + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileIOError.fromErrno("create", temporary) }
        let writer = AtomicFileWriter(descriptor: fd, temporaryPath: temporary)
        var closed = false
        do {
            // The umask can only narrow 0600, but be explicit: plaintext and keys live here.
            guard fchmod(fd, 0o600) == 0 else { throw FileIOError.fromErrno("set the mode of", temporary) }
            try body(writer)
            guard fsync(fd) == 0 else { throw FileIOError.fromErrno("sync", temporary) }
            closed = true
            guard close(fd) == 0 else { throw FileIOError.fromErrno("close", temporary) }
            guard rename(temporary, target) == 0 else { throw FileIOError.fromErrno("rename to", target) }
        } catch {
            if !closed { close(fd) }
            unlink(temporary)  // best effort: the error being thrown is the one that matters
            throw error
        }
    }
}
