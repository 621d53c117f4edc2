import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct MultipartLimits: Sendable, Equatable {
    /// Largest single file part.
    public var maxFileBytes: Int
    /// File parts per body (empty file inputs, which are skipped, do not count).
    public var maxFiles: Int
    /// Largest text field value.
    public var maxFieldBytes: Int
    /// Text fields per body.
    public var maxFields: Int
    /// Largest header block of one part; also bounds a preamble.
    public var maxPartHeaderBytes: Int
    /// The whole body as fed, delimiters and epilogue included.
    public var maxTotalBytes: Int

    public init(maxFileBytes: Int = 32 << 20, maxFiles: Int = 20, maxFieldBytes: Int = 64 << 10,
                maxFields: Int = 200, maxPartHeaderBytes: Int = 8 << 10, maxTotalBytes: Int = 256 << 20) {
        self.maxFileBytes = maxFileBytes
        self.maxFiles = maxFiles
        self.maxFieldBytes = maxFieldBytes
        self.maxFields = maxFields
        self.maxPartHeaderBytes = maxPartHeaderBytes
        self.maxTotalBytes = maxTotalBytes
    }
}

/// A streaming `multipart/form-data` parser (RFC 7578 over RFC 2046). Feed it the body in
/// chunks of any size; text fields stay in memory, file parts go to temporary files as they
/// arrive. Work is linear in the input: the delimiter is found with memchr(3) and only a
/// possible delimiter prefix (< 75 bytes) is ever carried from one chunk to the next.
///
/// Errors: `ParseError` for the client's mistakes, `GalleryError.unavailable` when the disk
/// fails. After any error every temporary file is gone and the parser refuses more input.
/// A parser dropped without a successful `finish()` removes its files too.
public final class MultipartParser {
    private enum State: Equatable {
        case preamble
        /// Right after `CRLF--boundary`: `--` closes the body, padding + CRLF opens a part.
        case afterDelimiter
        case closingDash
        case padding(Int)
        case lineEnd
        case headers
        case body
        case epilogue
    }

    private enum Part {
        case field(name: String)
        case file(name: String, filename: String, contentType: String?)
    }

    private let limits: MultipartLimits
    private let temporaryDirectory: URL
    /// `CRLF--boundary`.
    private let delimiter: UnsafeMutableRawBufferPointer
    private static let headerEnd: [UInt8] = Array("\r\n\r\n".utf8)
    private static let maxPadding = 64

    private var state = State.preamble
    /// Bytes from the end of the last chunk that may begin a delimiter. It starts as CRLF so
    /// that a body opening directly with `--boundary` matches `CRLF--boundary` like the rest.
    private var carry: [UInt8] = [13, 10]
    private var totalBytes = 0
    private var preambleBytes = 0
    /// The header block of the current part, after the CRLF that ended the delimiter line.
    private var headerBlock: [UInt8] = []

    private var part: Part?
    private var fieldValue: [UInt8] = []
    private var writer: UploadWriter?
    private var fileBytes = 0

    private var fields = FormFields()
    private var files: [UploadedFile] = []
    /// Every temporary file created, for `discard()`.
    private var written: [URL] = []
    private var failure: Error?
    private var finished = false

    /// The boundary of a `multipart/form-data` Content-Type, quoted or not (RFC 2046 §5.1.1:
    /// 1–70 characters from a small set, not ending in a space).
    public static func boundary(fromContentType contentType: String) throws -> String {
        let header = try ParameterizedHeader(parsing: contentType)
        guard header.value == "multipart/form-data" else {
            throw ParseError.malformed("The body is not multipart/form-data.")
        }
        guard let boundary = header.parameters["boundary"] else {
            throw ParseError.malformed("The multipart Content-Type has no boundary.")
        }
        try validate(boundary: boundary)
        return boundary
    }

    private static func validate(boundary: String) throws {
        let bytes = Array(boundary.utf8)
        guard (1...70).contains(bytes.count), bytes.last != 0x20,
              bytes.allSatisfy(isBoundaryByte) else {
            throw ParseError.malformed("The multipart boundary is not 1–70 allowed characters.")
        }
    }

    private static func isBoundaryByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return "'()+_,-./:=? ".utf8.contains(b)
        }
    }

    public init(boundary: String, limits: MultipartLimits, temporaryDirectory: URL) throws {
        try Self.validate(boundary: boundary)
        let bytes = Array("\r\n--\(boundary)".utf8)
        delimiter = .allocate(byteCount: bytes.count, alignment: 1)
        delimiter.copyBytes(from: bytes)
        self.limits = limits
        self.temporaryDirectory = temporaryDirectory
    }

    deinit {
        if !finished { discard() }
        delimiter.deallocate()
    }

    public func feed(_ chunk: UnsafeRawBufferPointer) throws {
        try refuseIfDone()
        do {
            totalBytes += chunk.count
            guard totalBytes <= limits.maxTotalBytes else {
                throw ParseError.tooLarge("The upload is larger than \(Self.size(limits.maxTotalBytes)).")
            }
            var rest = chunk
            if !carry.isEmpty && !rest.isEmpty {
                // Join the carried bytes with just enough of the chunk to settle whether they
                // start a delimiter, then go back to working on the chunk in place.
                let taken = min(rest.count, delimiter.count)
                carry.append(contentsOf: rest[..<taken])
                let consumed = try carry.withUnsafeBytes { try run($0) }
                let left = carry.count - consumed
                if left <= taken {
                    carry.removeAll(keepingCapacity: true)
                    rest = UnsafeRawBufferPointer(rebasing: rest[(taken - left)...])
                } else {  // only when the whole chunk was shorter than a delimiter
                    carry.removeFirst(consumed)
                    rest = UnsafeRawBufferPointer(rebasing: rest[taken...])
                }
            }
            if !rest.isEmpty {
                let consumed = try run(rest)
                carry.append(contentsOf: rest[consumed...])
            }
        } catch {
            fail(error)
            throw error
        }
    }

    public func feed(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try feed($0) }
    }

    /// The fields and files; throws `.malformed` if the body ended before its closing delimiter.
    public func finish() throws -> (fields: FormFields, files: [UploadedFile]) {
        try refuseIfDone()
        guard state == .epilogue else {
            let error = ParseError.malformed("The upload ended before its closing boundary.")
            fail(error)
            throw error
        }
        finished = true
        return (fields, files)
    }

    /// Removes every temporary file written, including those `finish()` returned.
    public func discard() {
        writer?.abandon()
        writer = nil
        for url in written {
            // Ignoring failure is right: the caller may already have moved the file away.
            _ = unlink(url.path)
        }
        written.removeAll()
        files.removeAll()
        if failure == nil { failure = ParseError.malformed("The upload was discarded.") }
    }

    private func refuseIfDone() throws {
        if let failure { throw failure }
        if finished { throw ParseError.malformed("The upload was already finished.") }
    }

    private func fail(_ error: Error) {
        discard()
        failure = error
    }

    /// Runs the state machine over `buffer`; returns how many bytes it used. Only the preamble
    /// and body states stop short, leaving fewer bytes than a delimiter for the next chunk.
    private func run(_ buffer: UnsafeRawBufferPointer) throws -> Int {
        var i = 0
        while i < buffer.count {
            switch state {
            case .preamble, .body:
                let rest = UnsafeRawBufferPointer(rebasing: buffer[i...])
                let found = find(delimiter, in: rest)
                let end = found ?? rest.count - partialDelimiterLength(atEndOf: rest)
                let data = UnsafeRawBufferPointer(rebasing: rest[..<end])
                if state == .body { try emitBody(data) } else { try skipPreamble(data) }
                guard let found else { return i + end }
                if state == .body { try endPart() }
                i += found + delimiter.count
                state = .afterDelimiter
            case .afterDelimiter:
                switch buffer[i] {
                case UInt8(ascii: "-"): state = .closingDash
                case 0x20, 0x09: state = .padding(1)
                case 0x0D: state = .lineEnd
                default: throw ParseError.malformed("A multipart boundary is followed by other text.")
                }
                i += 1
            case .closingDash:
                guard buffer[i] == UInt8(ascii: "-") else {
                    throw ParseError.malformed("A multipart boundary is followed by other text.")
                }
                state = .epilogue
                i += 1
            case .padding(let n):
                if buffer[i] == 0x0D {
                    state = .lineEnd
                } else if (buffer[i] == 0x20 || buffer[i] == 0x09) && n < Self.maxPadding {
                    state = .padding(n + 1)
                } else {
                    throw ParseError.malformed("A multipart boundary is followed by other text.")
                }
                i += 1
            case .lineEnd:
                guard buffer[i] == 0x0A else {
                    throw ParseError.malformed("A multipart boundary line does not end in CRLF.")
                }
                state = .headers
                headerBlock = [13, 10]
                i += 1
            case .headers:
                i += try consumeHeaders(UnsafeRawBufferPointer(rebasing: buffer[i...]))
            case .epilogue:
                return buffer.count  // ignored, though counted against maxTotalBytes
            }
        }
        return i
    }

    /// Collects the part's header block up to its blank line; returns the bytes used.
    private func consumeHeaders(_ input: UnsafeRawBufferPointer) throws -> Int {
        // The block is seeded with the CRLF ending the delimiter line, so an empty block is
        // simply CRLFCRLF at 0 and the terminator is always found by one search.
        let capacity = limits.maxPartHeaderBytes + 6
        let old = headerBlock.count
        let taken = min(input.count, capacity - old)
        headerBlock.append(contentsOf: input[..<taken])
        let end: Int? = headerBlock.withUnsafeBytes { block in
            let from = max(0, old - 3)
            return Self.headerEnd.withUnsafeBytes { pattern in
                find(pattern, in: UnsafeRawBufferPointer(rebasing: block[from...])).map { $0 + from }
            }
        }
        guard let end else {
            if headerBlock.count >= capacity {
                throw ParseError.tooLarge("A part's headers are longer than \(limits.maxPartHeaderBytes) bytes.")
            }
            return taken
        }
        try beginPart(headerBytes: end == 0 ? [] : Array(headerBlock[2..<end]))
        state = .body
        return end + 4 - old
    }

    private func beginPart(headerBytes: [UInt8]) throws {
        let headers = try PartHeaders(block: headerBytes)
        guard let disposition = headers.contentDisposition else {
            throw ParseError.malformed("A part has no Content-Disposition header.")
        }
        let header = try ParameterizedHeader(parsing: disposition)
        guard header.value == "form-data" else {
            throw ParseError.malformed("A part is not form-data.")
        }
        guard let name = header.parameters["name"], !name.isEmpty else {
            throw ParseError.malformed("A part has no field name.")
        }
        let extended = header.parameters["filename*"].flatMap(UploadFilename.decodeExtended)
        if let raw = extended ?? header.parameters["filename"].map(UploadFilename.unescapeBrowserQuotes) {
            part = .file(name: name, filename: UploadFilename.sanitized(raw), contentType: headers.contentType)
            fileBytes = 0
        } else {
            guard fields.count < limits.maxFields else {
                throw ParseError.tooLarge("The form has more than \(limits.maxFields) fields.")
            }
            part = .field(name: name)
            fieldValue.removeAll(keepingCapacity: true)
        }
    }

    private func skipPreamble(_ bytes: UnsafeRawBufferPointer) throws {
        preambleBytes += bytes.count
        guard preambleBytes <= limits.maxPartHeaderBytes else {
            throw ParseError.malformed("The body does not start with its multipart boundary.")
        }
    }

    private func emitBody(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        switch part {
        case .field?:
            guard fieldValue.count + bytes.count <= limits.maxFieldBytes else {
                throw ParseError.tooLarge("A form field is longer than \(Self.size(limits.maxFieldBytes)).")
            }
            fieldValue.append(contentsOf: bytes)
        case .file?:
            fileBytes += bytes.count
            guard fileBytes <= limits.maxFileBytes else {
                throw ParseError.tooLarge("A file is larger than \(Self.size(limits.maxFileBytes)).")
            }
            try openFileIfNeeded().write(bytes)
        case nil:  // unreachable: the body state is only entered after beginPart sets `part`
            throw ParseError.malformed("Multipart data outside a part.")
        }
    }

    /// Files are opened at their first byte, so an empty file input never touches the disk.
    private func openFileIfNeeded() throws -> UploadWriter {
        if let writer { return writer }
        guard files.count < limits.maxFiles else {
            throw ParseError.tooLarge("An upload may hold at most \(limits.maxFiles) files.")
        }
        let opened = try UploadWriter(directory: temporaryDirectory)
        written.append(opened.url)
        writer = opened
        return opened
    }

    private func endPart() throws {
        switch part {
        case .field(let name)?:
            guard let value = String(validating: fieldValue, as: UTF8.self) else {
                throw ParseError.malformed("A form field is not valid UTF-8.")
            }
            fields.append(name, value)
        case .file(let name, let filename, let contentType)?:
            // What browsers send for a file input left empty.
            if writer == nil && filename.isEmpty { break }
            let file = try openFileIfNeeded()
            writer = nil
            files.append(try file.finish(fieldName: name, filename: filename, contentType: contentType))
        case nil:
            break
        }
        part = nil
    }

    /// Length of the longest tail of `buffer` that is a proper prefix of the delimiter.
    private func partialDelimiterLength(atEndOf buffer: UnsafeRawBufferPointer) -> Int {
        let longest = min(buffer.count, delimiter.count - 1)
        var start = buffer.count - longest
        while start < buffer.count {
            if buffer[start] == delimiter[0],
               memcmp(buffer.baseAddress! + start, delimiter.baseAddress!, buffer.count - start) == 0 {
                return buffer.count - start
            }
            start += 1
        }
        return 0
    }

    private static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}

/// Offset of the first occurrence of `pattern` in `buffer`: memchr(3) (vectorised) to each
/// candidate first byte, then memcmp(3). For the delimiter this is linear even on hostile data:
/// its first byte, CR, occurs nowhere else in it, so no two candidates' comparisons overlap.
private func find(_ pattern: UnsafeRawBufferPointer, in buffer: UnsafeRawBufferPointer) -> Int? {
    guard !pattern.isEmpty, buffer.count >= pattern.count,
          let base = buffer.baseAddress, let needle = pattern.baseAddress else { return nil }
    let first = Int32(pattern[0])
    var offset = 0
    while buffer.count - offset >= pattern.count {
        guard let hit = memchr(base + offset, first, buffer.count - offset - pattern.count + 1) else {
            return nil
        }
        let at = base.distance(to: UnsafeRawPointer(hit))
        if memcmp(base + at, needle, pattern.count) == 0 { return at }
        offset = at + 1
    }
    return nil
}

private func find(_ pattern: UnsafeMutableRawBufferPointer, in buffer: UnsafeRawBufferPointer) -> Int? {
    find(UnsafeRawBufferPointer(pattern), in: buffer)
}

/// The header lines of one part (RFC 7578 §4.8: only Content-Disposition, Content-Type and
/// Content-Transfer-Encoding mean anything; others are ignored).
struct PartHeaders {
    var contentDisposition: String?
    var contentType: String?

    /// `block` is the lines without the blank line ending them.
    init(block: [UInt8]) throws {
        var start = 0
        while start < block.count {
            var end = start
            while end < block.count && !(block[end] == 0x0D && end + 1 < block.count && block[end + 1] == 0x0A) {
                end += 1
            }
            try add(line: block[start..<end])
            start = end + 2
        }
    }

    private mutating func add(line: ArraySlice<UInt8>) throws {
        guard let first = line.first, first != 0x20, first != 0x09 else {
            throw ParseError.malformed("A part has an empty or folded header line.")
        }
        guard !line.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else {
            throw ParseError.malformed("A part header holds control characters.")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
              line[..<colon].allSatisfy(CookieHeader.isTokenByte) else {
            throw ParseError.malformed("A part header is not Name: value.")
        }
        var valueBytes = line[(colon + 1)...]
        while let f = valueBytes.first, f == 0x20 || f == 0x09 { valueBytes = valueBytes.dropFirst() }
        while let l = valueBytes.last, l == 0x20 || l == 0x09 { valueBytes = valueBytes.dropLast() }
        guard let value = String(validating: valueBytes, as: UTF8.self) else {
            throw ParseError.malformed("A part's headers are not valid UTF-8.")
        }
        switch String(decoding: line[..<colon], as: UTF8.self).lowercased() {
        case "content-disposition":
            guard contentDisposition == nil else {
                throw ParseError.malformed("A part has two Content-Disposition headers.")
            }
            contentDisposition = value
        case "content-type":
            guard contentType == nil else {
                throw ParseError.malformed("A part has two Content-Type headers.")
            }
            contentType = value
        case "content-transfer-encoding":
            // Deprecated by RFC 7578; anything but identity would store encoded bytes.
            guard ["7bit", "8bit", "binary"].contains(value.lowercased()) else {
                throw ParseError.malformed("A part uses an unsupported Content-Transfer-Encoding.")
            }
        default:
            break
        }
    }
}
