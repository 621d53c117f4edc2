import CCurl
import Foundation

/// Where an upload's bytes come from. Files are read with pread at an absolute offset, so a
/// rewind (libcurl resending on a fresh connection) is just a new position.
enum BodySource {
    case bytes(Data)
    case file(descriptor: Int32, start: Int64, length: Int64)

    var length: Int64 {
        switch self {
        case .bytes(let data): return Int64(data.count)
        case .file(_, _, let length): return length
        }
    }
}

/// The state of one transfer, reached from libcurl's C callbacks through an opaque pointer.
final class Transfer {
    let handle: CurlHandle
    let source: BodySource?
    var position: Int64 = 0
    /// 2xx bodies go here when the caller asked for a file; other bodies stay in memory.
    let sinkDescriptor: Int32?
    let memoryLimit: Int
    var body = Data()
    var headers: [(name: String, value: String)] = []
    /// Set by a callback that had to stop the transfer; reported instead of libcurl's error.
    var failure: Error?

    init(handle: CurlHandle, source: BodySource?, sinkDescriptor: Int32?, memoryLimit: Int) {
        self.handle = handle
        self.source = source
        self.sinkDescriptor = sinkDescriptor
        self.memoryLimit = memoryLimit
    }

    func install() throws {
        let me = Unmanaged.passUnretained(self).toOpaque()
        try handle.check(ccurl_setopt_write_function(handle.raw, transferWrite), CURLOPT_WRITEFUNCTION)
        try handle.set(CURLOPT_WRITEDATA, pointer: me)
        try handle.check(ccurl_setopt_header_function(handle.raw, transferHeader), CURLOPT_HEADERFUNCTION)
        try handle.set(CURLOPT_HEADERDATA, pointer: me)
        if source != nil {
            try handle.check(ccurl_setopt_read_function(handle.raw, transferRead), CURLOPT_READFUNCTION)
            try handle.set(CURLOPT_READDATA, pointer: me)
            try handle.check(ccurl_setopt_seek_function(handle.raw, transferSeek), CURLOPT_SEEKFUNCTION)
            try handle.set(CURLOPT_SEEKDATA, pointer: me)
        }
    }

    fileprivate func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        guard let source else { return 0 }
        let wanted = Int(min(Int64(capacity), source.length - position))
        guard wanted > 0 else { return 0 }
        switch source {
        case .bytes(let data):
            let start = data.startIndex + Int(position)
            data.copyBytes(to: UnsafeMutableRawPointer(buffer).assumingMemoryBound(to: UInt8.self),
                           from: start..<(start + wanted))
            position += Int64(wanted)
            return wanted
        case .file(let fd, let start, _):
            let n = pread(fd, buffer, wanted, off_t(start + position))
            if n < 0 {
                failure = TransportError(code: -1, message: "reading the upload body: \(String(cString: strerror(errno)))")
                return Int(CURL_READFUNC_ABORT)
            }
            if n == 0 {
                failure = TransportError(code: -1, message: "the upload file is shorter than its announced length")
                return Int(CURL_READFUNC_ABORT)
            }
            position += Int64(n)
            return n
        }
    }

    fileprivate func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        let status = handle.responseCode()
        if let fd = sinkDescriptor, (200..<300).contains(status) {
            var done = 0
            while done < bytes.count {
                let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = TransportError(code: -1, message: "writing the response body: \(String(cString: strerror(errno)))")
                    return 0
                }
                done += n
            }
            return bytes.count
        }
        guard body.count + bytes.count <= memoryLimit else {
            failure = TransportError(code: -1, message: "response body larger than \(memoryLimit) bytes")
            return 0
        }
        body.append(bytes.bindMemory(to: UInt8.self))
        return bytes.count
    }

    fileprivate func header(_ line: String) {
        if line.hasPrefix("HTTP/") {
            headers.removeAll()  // a new response (after 100 Continue): its headers replace the old
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = String(line[..<colon])
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        headers.append((name: name, value: value))
    }

    fileprivate func seek(to offset: Int64) -> Int32 {
        guard let source, offset >= 0, offset <= source.length else { return 1 }  // CURL_SEEKFUNC_FAIL
        position = offset
        return 0  // CURL_SEEKFUNC_OK
    }
}

private func transfer(_ pointer: UnsafeMutableRawPointer?) -> Transfer {
    Unmanaged<Transfer>.fromOpaque(pointer!).takeUnretainedValue()
}

private let transferWrite: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    transfer(context).write(UnsafeRawBufferPointer(start: data, count: size * count))
}

private let transferRead: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    buffer, size, count, context in
    guard let buffer else { return Int(CURL_READFUNC_ABORT) }
    return transfer(context).read(into: buffer, capacity: size * count)
}

private let transferHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
    transfer(context).header(String(decoding: bytes, as: UTF8.self))
    return size * count
}

private let transferSeek: @convention(c) (UnsafeMutableRawPointer?, curl_off_t, Int32) -> Int32 = {
    context, offset, origin in
    guard origin == SEEK_SET else { return 2 }  // CURL_SEEKFUNC_CANTSEEK
    return transfer(context).seek(to: Int64(offset))
}
