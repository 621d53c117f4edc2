// Times Thumbnailer.make over the files given, one thread, and reports wall and CPU seconds and
// peak RSS as one JSON line for bench/thumbnails/bench.py. The last round's derivatives are
// written to --out so that their quality can be measured.
import Foundation
import GalleryImaging

struct Options {
    var spec = ThumbnailSpec()
    var rounds = 1
    var out: URL?
    var files: [URL] = []

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func value() throws -> String {
            guard let next = rest.popFirst() else { throw UsageError() }
            return next
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--preview": spec.previewSize = try Int(value()) ?? 0
            case "--thumbnail": spec.thumbnailSize = try Int(value()) ?? 0
            case "--quality": spec.quality = try Int(value()) ?? 0
            case "--rounds": rounds = try Int(value()) ?? 0
            case "--out": out = URL(fileURLWithPath: try value())
            default: files.append(URL(fileURLWithPath: argument))
            }
        }
        guard rounds > 0, !files.isEmpty else { throw UsageError() }
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String {
        "usage: gallery-bench-thumbnails [--preview N] [--thumbnail N] [--quality Q] [--rounds R] [--out DIR] FILE..."
    }
}

/// CPU seconds (user + system) so far.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// VmRSS (now) or VmHWM (peak) in KB. Not ru_maxrss: Linux carries that across exec from
/// the process that forked this one, so a large parent would show up as ours.
func memoryKilobytes(_ field: String) -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""  // not Linux: 0
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
    }
    return 0
}

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let startRSS = memoryKilobytes("VmRSS")
    let startCPU = cpuSeconds()
    var images = 0
    let start = DispatchTime.now().uptimeNanoseconds
    for round in 1 ... options.rounds {
        for file in options.files {
            let set = try Thumbnailer.make(file: file, spec: options.spec, maxPixels: 50_000_000)
            images += 1
            if round == options.rounds, let out = options.out {
                let name = file.deletingPathExtension().lastPathComponent
                try set.preview.data.write(to: out.appendingPathComponent("\(name).preview.webp"))
                try set.thumbnail.data.write(to: out.appendingPathComponent("\(name).thumbnail.webp"))
            }
        }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    print("{\"images\": \(images), \"seconds\": \(seconds), \"cpu_seconds\": \(cpuSeconds() - startCPU), "
        + "\"start_rss_kb\": \(startRSS), \"peak_rss_kb\": \(memoryKilobytes("VmHWM"))}")
} catch {
    FileHandle.standardError.write(Data("gallery-bench-thumbnails: \(error)\n".utf8))
    exit(1)
}
