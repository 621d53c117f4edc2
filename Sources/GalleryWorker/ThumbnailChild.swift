import Foundation
import GalleryCore
import GalleryImaging
import ImageInspection
#if canImport(Glibc)
import Glibc
#endif

/// The decoding child: `gallery-worker thumbnail --parent PID --input F --out-dir D --format jpeg
/// --thumb N --preview N --quality Q --max-pixels P --memory-bytes M --cpu-seconds S
/// --file-bytes B`. It confines itself, checks magic bytes and the header's pixel count
/// before any decoder runs, makes the derivatives and writes them with a small JSON report
/// into D. Exit 0: made; 3: refused, with error.json; anything else is a failure the parent
/// reports from the status and stderr.
public enum ThumbnailChild {
    public static let subcommand = "thumbnail"

    struct Request: Equatable {
        /// The worker: when it dies (SIGKILL), the child stops too instead of decoding on
        /// for nobody (Linux's PR_SET_PDEATHSIG is behind variadic prctl, out of Swift's reach).
        var parent: pid_t
        var input: URL
        var outDirectory: URL
        var format: ImageFormat
        var thumbnails: ThumbnailSettings
        var limits: ChildLimits
    }

    /// Runs the child and returns its exit status. `arguments` follow the subcommand.
    public static func main(arguments: [String]) -> Int32 {
        // Before anything else: no descriptor of the parent (database, sockets) stays open
        // while untrusted bytes are parsed.
        closefrom(3)
        let request: Request
        do {
            request = try parse(arguments)
            try request.limits.apply()
            try watchParent(request.parent)
        } catch {
            FileHandle.standardError.write(Data("thumbnail: \(error)\n".utf8))
            return ChildFiles.usageStatus
        }
        do {
            let result = try make(request)
            try write(JSONEncoder().encode(result), ChildFiles.result, in: request)
            return 0
        } catch let refusal as ChildRefusal {
            do {
                try write(JSONEncoder().encode(refusal), ChildFiles.error, in: request)
            } catch {
                FileHandle.standardError.write(Data("thumbnail: cannot write error.json: \(error)\n".utf8))
            }
            return ChildFiles.refusedStatus
        } catch {
            FileHandle.standardError.write(Data("thumbnail: \(error)\n".utf8))
            return 1
        }
    }

    static func make(_ request: Request) throws -> ChildResult {
        let spec = request.thumbnails
        try check(request)
        let set: ThumbnailSet
        do {
            set = try Thumbnailer.make(
                file: request.input,
                spec: ThumbnailSpec(thumbnailSize: spec.thumbnailSize, previewSize: spec.previewSize,
                                    quality: spec.quality),
                maxPixels: spec.maxPixels)
        } catch GalleryError.tooLarge(let message) {
            // The pixel count passed above, so this is the decoder running out of memory.
            throw ChildRefusal(reason: FailureReasons.tooBigToDecode, detail: message)
        } catch {
            throw ChildRefusal(reason: FailureReasons.undecodable, detail: "\(error)")
        }
        try write(set.thumbnail.data, ChildFiles.thumbnail, in: request)
        try write(set.preview.data, ChildFiles.preview, in: request)
        if let large = set.thumbnail2x { try write(large.data, ChildFiles.thumbnail2x, in: request) }
        return ChildResult(
            thumbnail: .init(width: set.thumbnail.width, height: set.thumbnail.height),
            preview: .init(width: set.preview.width, height: set.preview.height),
            thumbnail2x: set.thumbnail2x.map { .init(width: $0.width, height: $0.height) },
            placeholder: set.placeholder,
            metadata: set.metadata.map(ChildMetadata.init),
            othersOriginal: try writeWithoutPosition(request))
    }

    /// The copy of the original that others download while the owner strips positions. Made
    /// for every photo, so that the owner's choice applies at once, to old photos too.
    static func writeWithoutPosition(_ request: Request) throws -> ChildResult.OthersOriginal {
        let original: [UInt8]
        do {
            original = [UInt8](try Data(contentsOf: request.input))
        } catch {
            throw ChildRefusal(reason: FailureReasons.missingOriginal, detail: "cannot read input: \(error)")
        }
        switch PositionStripper.strip(original, format: request.format) {
        case .nothingFound:
            return .original
        case .unreadable:
            return .withheld
        case .stripped(let copy):
            try write(Data(copy), ChildFiles.withoutPosition, in: request)
            return .copy
        }
    }

    /// Only the formats we accept reach a decoder, only as the type recorded at upload, and
    /// only within the pixel limit, read from the header without decoding.
    static func check(_ request: Request) throws {
        let head: [UInt8]
        do {
            let handle = try FileHandle(forReadingFrom: request.input)
            defer { try? handle.close() } // read-only: a failed close loses nothing
            head = [UInt8](try handle.read(upToCount: ImageSniffer.headLength) ?? Data())
        } catch {
            throw ChildRefusal(reason: FailureReasons.missingOriginal, detail: "cannot read input: \(error)")
        }
        let format: ImageFormat
        switch ImageSniffer.sniff(head) {
        case .supported(let f):
            format = f
        case .unsupported(let kind):
            throw ChildRefusal(reason: FailureReasons.notAnImage, detail: "magic bytes say \(kind)")
        case .unknown:
            throw ChildRefusal(reason: FailureReasons.notAnImage, detail: "magic bytes match no known format")
        }
        guard format == request.format else {
            throw ChildRefusal(reason: FailureReasons.mismatch,
                               detail: "recorded as \(request.format.rawValue), content is \(format.rawValue)")
        }
        let header: ImageHeaderInfo
        do {
            header = try ImageHeader.read(file: request.input)
        } catch {
            throw ChildRefusal(reason: FailureReasons.undecodable, detail: "header: \(error)")
        }
        let pixels = header.width.multipliedReportingOverflow(by: header.height)
        guard header.width > 0, header.height > 0, !pixels.overflow,
              pixels.partialValue <= request.thumbnails.maxPixels else {
            throw ChildRefusal(reason: FailureReasons.tooManyPixels(request.thumbnails.maxPixels),
                               detail: "header says \(header.width)×\(header.height)")
        }
    }

    /// Exits at once if the parent is already gone, and within 50 ms once it goes: when a
    /// process dies its children are re-parented, so getppid() changes.
    static func watchParent(_ parent: pid_t) throws {
        guard getppid() == parent else { throw ChildUsageError("parent \(parent) is gone") }
        let thread = Thread {
            while getppid() == parent { usleep(50_000) }
            _exit(4)
        }
        thread.start()
    }

    private static func write(_ data: Data, _ name: String, in request: Request) throws {
        try data.write(to: request.outDirectory.appendingPathComponent(name))
    }

    static func arguments(for request: Request) -> [String] {
        let t = request.thumbnails, l = request.limits
        return [subcommand, "--parent", "\(request.parent)",
                "--input", request.input.path, "--out-dir", request.outDirectory.path,
                "--format", request.format.rawValue,
                "--thumb", "\(t.thumbnailSize)", "--preview", "\(t.previewSize)",
                "--quality", "\(t.quality)", "--max-pixels", "\(t.maxPixels)",
                "--memory-bytes", "\(l.addressSpaceBytes)", "--cpu-seconds", "\(l.cpuSeconds)",
                "--file-bytes", "\(l.fileSizeBytes)"]
    }

    static func parse(_ arguments: [String]) throws -> Request {
        var values: [String: String] = [:]
        var i = arguments.startIndex
        while i < arguments.endIndex {
            let key = arguments[i]
            guard key.hasPrefix("--"), i + 1 < arguments.endIndex else {
                throw ChildUsageError("expected --option value, got \(key)")
            }
            values[String(key.dropFirst(2))] = arguments[i + 1]
            i += 2
        }
        func string(_ name: String) throws -> String {
            guard let v = values.removeValue(forKey: name), !v.isEmpty else {
                throw ChildUsageError("missing --\(name)")
            }
            return v
        }
        func int(_ name: String) throws -> Int {
            let raw = try string(name)
            guard let v = Int(raw), v > 0 else { throw ChildUsageError("--\(name) must be positive, got \(raw)") }
            return v
        }
        let formatName = try string("format")
        guard let format = ImageFormat(rawValue: formatName) else {
            throw ChildUsageError("unknown --format \(formatName)")
        }
        let request = Request(
            parent: pid_t(try int("parent")),
            input: URL(fileURLWithPath: try string("input")),
            outDirectory: URL(fileURLWithPath: try string("out-dir")),
            format: format,
            thumbnails: ThumbnailSettings(thumbnailSize: try int("thumb"), previewSize: try int("preview"),
                                          quality: try int("quality"), maxPixels: try int("max-pixels")),
            limits: ChildLimits(addressSpaceBytes: try int("memory-bytes"), cpuSeconds: try int("cpu-seconds"),
                                fileSizeBytes: try int("file-bytes")))
        if let unknown = values.keys.sorted().first { throw ChildUsageError("unknown option --\(unknown)") }
        return request
    }
}

extension ChildRefusal: Error {}
