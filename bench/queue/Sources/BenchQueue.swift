import ArgumentParser
import Foundation
import GalleryBootstrap
import GalleryCore
import GalleryCrypto
import ImageInspection

/// The queue benchmark's client (bench/queue/run.sh starts the workers): stores originals
/// and enqueues jobs exactly as an upload does (blob, then record, then job) and times how
/// long until the workers mark the images ready. It writes images owned by "bench", so it is
/// a program of the benchmark's own, not a command of the admin binary.
@main
struct BenchQueue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gallery-bench-queue",
        abstract: "Time upload-to-ready latency or job throughput against running workers.")

    enum Mode: String, ExpressibleByArgument { case latency, throughput }

    @Argument(help: "latency: one upload at a time to idle workers; throughput: all at once.")
    var mode: Mode

    @Option(name: .customLong("photo"), help: "A photo to upload (repeat for several; used in turn).")
    var photos: [String]

    @Option(help: "Uploads to time.")
    var count = 50

    @Option(help: "latency: least pause between uploads, so workers fall back to idle polling.")
    var minGapMs = 300

    @Option(help: "latency: longest pause between uploads.")
    var maxGapMs = 1500

    @Option(help: "Give up after this many seconds.")
    var timeout: Double = 600

    mutating func validate() throws {
        guard !photos.isEmpty else { throw ValidationError("give at least one --photo") }
        guard count > 0, minGapMs >= 0, maxGapMs >= minGapMs else { throw ValidationError("bad --count or gaps") }
    }

    private struct Upload {
        var record: ImageRecord
        var file: URL
    }

    func run() throws {
        let (config, environment) = try Bootstrap.configuration()
        _ = Bootstrap.logging(config, label: "gallery.bench")
        let backends = try Bootstrap.backends(config, environment: environment)
        let uploads = try prepare(backends)
        switch mode {
        case .latency: try latency(uploads, backends)
        case .throughput: try throughput(uploads, backends)
        }
    }

    /// The originals go in before timing starts: the benchmark is about the queue and the
    /// worker, not about copying files.
    private func prepare(_ backends: Backends) throws -> [Upload] {
        var described: [String: (ImageHeaderInfo, String, Int)] = [:]
        return try (0..<count).map { i in
            let path = photos[i % photos.count]
            let file = URL(fileURLWithPath: path)
            if described[path] == nil {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ValidationError("cannot read \(path)")
                }
                described[path] = (try ImageHeader.read(file: file), SHA256.hex(data), data.count)
            }
            let (info, sha, size) = described[path]!
            let now = Date()
            let id = Identifiers.make(now: now)
            let key = BlobKeys.original(imageID: id, fileExtension: info.format.fileExtension)
            try backends.stores.blobs.put(key: key, file: file, contentType: info.format.mimeType)
            let record = ImageRecord(id: id, ownerID: "bench", ownerUsername: "bench", status: .processing,
                                     visibility: .private, format: info.format,
                                     originalFilename: file.lastPathComponent, byteSize: size,
                                     width: info.width, height: info.height, sha256: sha,
                                     originalKey: key, createdAt: now)
            return Upload(record: record, file: file)
        }
    }

    @discardableResult
    private func submit(_ upload: Upload, _ backends: Backends) throws -> Job {
        var record = upload.record
        record.createdAt = Date()
        try backends.stores.metadata.putImage(record)
        return try backends.stores.jobs.enqueue(.image(record.id), availableAt: record.createdAt)
    }

    /// Per upload: when a worker claimed the job (the queue's share of the wait) and when the
    /// image was ready (the claim plus decoding in the child, storing and marking).
    private func latency(_ uploads: [Upload], _ backends: Backends) throws {
        var claimed: [Double] = []
        var ready: [Double] = []
        var failed = 0
        for upload in uploads {
            Thread.sleep(forTimeInterval: Double(Int.random(in: minGapMs...maxGapMs)) / 1000)
            let started = Date()
            let job = try submit(upload, backends)
            try waitUntil(started) { try backends.stores.jobs.job(id: job.id)?.status != .queued }
            claimed.append(Date().timeIntervalSince(started) * 1000)
            try waitUntil(started) { try backends.stores.metadata.image(id: upload.record.id)?.status != .processing }
            if try backends.stores.metadata.image(id: upload.record.id)?.status == .ready {
                ready.append(Date().timeIntervalSince(started) * 1000)
            } else {
                failed += 1
            }
        }
        print("latency over \(uploads.count) uploads, one at a time to idle workers (\(failed) failed):")
        print("  upload→claimed  " + summary(claimed))
        print("  upload→ready    " + summary(ready))
    }

    private func summary(_ samples: [Double]) -> String {
        let sorted = samples.sorted()
        func p(_ q: Double) -> Double {
            sorted.isEmpty ? .nan : sorted[max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1)]
        }
        let mean = sorted.reduce(0, +) / Double(max(1, sorted.count))
        return String(format: "p50 %4.0f ms  p90 %4.0f ms  p99 %4.0f ms  max %4.0f ms  mean %4.0f ms",
                      p(0.5), p(0.9), p(0.99), sorted.last ?? .nan, mean)
    }

    private func throughput(_ uploads: [Upload], _ backends: Backends) throws {
        let started = Date()
        for upload in uploads { try submit(upload, backends) }
        let deadline = started.addingTimeInterval(timeout)
        while true {
            let depth = try backends.stores.jobs.depth(now: Date())
            if depth.queued + depth.running == 0 { break }
            guard Date() < deadline else { throw ValidationError("timed out with \(depth.queued + depth.running) jobs left") }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let seconds = Date().timeIntervalSince(started)
        let ready = try uploads.filter { try backends.stores.metadata.image(id: $0.record.id)?.status == .ready }.count
        print(String(format: "throughput: %d jobs in %.2f s = %.1f jobs/s (%d ready, %d not)",
                     uploads.count, seconds, Double(uploads.count) / seconds, ready, uploads.count - ready))
    }

    /// Polls every 2 ms: cheap for SQLite, and fine-grained enough for the figures.
    private func waitUntil(_ started: Date, _ condition: () throws -> Bool) throws {
        while try !condition() {
            guard Date().timeIntervalSince(started) < timeout else {
                throw ValidationError("nothing happened for \(timeout) s: are workers running?")
            }
            Thread.sleep(forTimeInterval: 0.002)
        }
    }
}
