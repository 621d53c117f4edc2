import Foundation

/// Raised by a source when the data ends, or the scan limit is reached, before a header does.
enum HeaderSourceError: Error {
    case truncated
    case scanLimit(Int)
}

/// Bytes read forward from the start of an image, as few as a header parser asks for.
protocol HeaderSource {
    /// Bytes consumed so far.
    var offset: Int { get }
    /// Exactly `count` bytes.
    mutating func read(_ count: Int) throws -> [UInt8]
    mutating func skip(_ count: Int) throws
}

extension HeaderSource {
    mutating func byte() throws -> UInt8 { try read(1)[0] }

    mutating func uint16BE() throws -> Int {
        let b = try read(2)
        return Int(b[0]) << 8 | Int(b[1])
    }
}

/// An image already in memory.
struct BytesSource: HeaderSource {
    let bytes: [UInt8]
    let limit: Int
    private(set) var offset = 0

    init(_ bytes: [UInt8], limit: Int) {
        self.bytes = bytes
        self.limit = limit
    }

    mutating func read(_ count: Int) throws -> [UInt8] {
        try check(count)
        defer { offset += count }
        return Array(bytes[offset ..< offset + count])
    }

    mutating func skip(_ count: Int) throws {
        try check(count)
        offset += count
    }

    private func check(_ count: Int) throws {
        if offset + count > limit { throw HeaderSourceError.scanLimit(limit) }
        if offset + count > bytes.count { throw HeaderSourceError.truncated }
    }
}

/// A file read in small chunks: a JPEG's header may sit behind 64 KB of EXIF and more of
/// ICC profile, and the image data behind it is never read. Long skips seek.
struct FileSource: HeaderSource {
    private let handle: FileHandle
    private let limit: Int
    private static let chunkSize = 16 * 1024
    private var buffer: [UInt8] = []
    /// File offset of `buffer[0]`.
    private var bufferStart = 0
    private(set) var offset = 0

    init(handle: FileHandle, limit: Int) {
        self.handle = handle
        self.limit = limit
    }

    mutating func read(_ count: Int) throws -> [UInt8] {
        if offset + count > limit { throw HeaderSourceError.scanLimit(limit) }
        var start = offset - bufferStart
        if start + count > buffer.count {
            // Keep the unread tail, then top up with whole chunks.
            buffer.removeFirst(min(start, buffer.count))
            bufferStart = offset
            start = 0
            try handle.seek(toOffset: UInt64(bufferStart + buffer.count))
            while buffer.count < count {
                guard let more = try handle.read(upToCount: max(Self.chunkSize, count - buffer.count)),
                      !more.isEmpty else { throw HeaderSourceError.truncated }
                buffer.append(contentsOf: more)
            }
        }
        defer { offset += count }
        return Array(buffer[start ..< start + count])
    }

    mutating func skip(_ count: Int) throws {
        if offset + count > limit { throw HeaderSourceError.scanLimit(limit) }
        // A skip past the end is only found out by the next read, as with any seek.
        offset += count
    }
}
