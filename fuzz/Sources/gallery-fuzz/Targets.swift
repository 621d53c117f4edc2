import Foundation
import GalleryCore
import GalleryHTTP
import ImageInspection

/// One libFuzzer target per parser of untrusted input. Each takes arbitrary bytes and must
/// return or throw a parser error, never trap (a trap is a crash libFuzzer reports). Limits
/// are small so that each execution is quick; what they guard is tested in the unit tests.
enum Targets {
    static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "multipart": multipart,
        "urlencoded": { _ = try? URLEncoded.parse($0) },
        "query": { _ = try? URLEncoded.parse(String(decoding: $0, as: UTF8.self)) },
        "cookies": { _ = CookieHeader.parse(String(decoding: $0, as: UTF8.self)) },
        "header": header,
        "cgi": cgi,
        "image-header": imageHeader,
        "position-stripper": positionStripper,
    ]

    /// Where the multipart parser may write its temporary files: memory when there is /dev/shm.
    static let scratch: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent("gallery-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// A body for the boundary "fuzzBoundary", fed in chunks whose sizes the first byte picks,
    /// so that delimiters split across chunks are explored too.
    static func multipart(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let body = Array(data.dropFirst())
        let limits = MultipartLimits(maxFileBytes: 64 << 10, maxFiles: 4, maxFieldBytes: 4 << 10, maxFields: 16,
                                     maxPartHeaderBytes: 1 << 10, maxTotalBytes: 1 << 20)
        guard let parser = try? MultipartParser(boundary: "fuzzBoundary", limits: limits, temporaryDirectory: scratch) else {
            fatalError("the fixed boundary was refused")
        }
        let chunk = Int(first % 97) + 1
        var offset = 0
        do {
            while offset < body.count {
                let end = min(body.count, offset + chunk)
                try parser.feed(Array(body[offset..<end]))
                offset = end
            }
            let (_, files) = try parser.finish()
            for file in files { try? FileManager.default.removeItem(at: file.file) }
        } catch {
            parser.discard()
        }
    }

    static func header(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        _ = try? ParameterizedHeader(parsing: text)
        _ = try? MultipartParser.boundary(fromContentType: text)
    }

    /// FastCGI's environment entries separated by NUL bytes, decoded and turned into a
    /// request whose lazily parsed parts (cookies, query) are read too.
    static func cgi(_ data: [UInt8]) {
        let entries = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let request = CGIParameters.request(CGIParameters.decode(environment: entries))
        _ = request.cookies
        _ = request.query
        _ = request.contentLength
        _ = request.header("user-agent")
    }

    static func imageHeader(_ data: [UInt8]) {
        _ = ImageSniffer.sniff(data)
        _ = try? ImageSniffer.requireSupported(data)
        _ = try? ImageHeader.read(bytes: data)
    }

    /// Every format, whatever the bytes say: the stripper must hold on a file that lies.
    static func positionStripper(_ data: [UInt8]) {
        for format in [ImageFormat.jpeg, .png, .gif, .webp] {
            _ = PositionStripper.strip(data, format: format)
        }
    }
}
