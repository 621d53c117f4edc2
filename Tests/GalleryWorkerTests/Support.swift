import Foundation
import GalleryCore
import GalleryCrypto
import GalleryEmbedded
import ImageInspection
import Logging
import XCTest
@testable import GalleryWorker

/// The shared photos: ../shared/testdata beside the repository, or $GALLERY_TESTDATA.
let testData: URL = {
    if let path = ProcessInfo.processInfo.environment["GALLERY_TESTDATA"] {
        return URL(fileURLWithPath: path)
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared/testdata").standardizedFileURL
}()

func photo(_ relative: String) -> URL { testData.appendingPathComponent(relative) }

/// Small real photos (≈512–800 px) for jobs that should be quick.
let naturePhotos = ["silver_fir", "prairie_falcon", "wood_anemones", "el_torcal_rocks", "tanners_ridge",
                    "cyclamen_persicum", "notocactus_minimus", "polemonium_reptans", "orychophragmus_violaceus"]
    .map { photo("photos/albums/nature/\($0).jpg") }
/// A 12-megapixel camera photo decoded at full size: a job of a second or two, and one that
/// needs more than 256 MB of address space.
let bigPhoto = photo("photos/albums/text/book-beside-flowers.jpg")

/// The built `gallery-worker`, the decoding child of every pool in these tests and the worker
/// process of the process tests: $GALLERY_WORKER_BINARY, or beside the test bundle (`swift
/// test` builds every product into the same folder).
let workerBinary: URL = {
    if let path = ProcessInfo.processInfo.environment["GALLERY_WORKER_BINARY"] {
        return URL(fileURLWithPath: path)
    }
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    // The bundle may be a directory (…/galleryPackageTests.xctest/…) on some toolchains.
    while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("gallery-worker").path) {
        dir = dir.deletingLastPathComponent()
    }
    return dir.appendingPathComponent("gallery-worker")
}()

func requireWorkerBinary() throws {
    guard FileManager.default.isExecutableFile(atPath: workerBinary.path) else {
        throw GalleryError.invalid("no gallery-worker binary at \(workerBinary.path): build it "
            + "(swift build --product gallery-worker) or set GALLERY_WORKER_BINARY")
    }
}

/// A data directory laid out as `Configuration` expects, with the embedded backend open on it.
final class Site {
    let root: URL
    let database: SQLiteDatabase
    let metadata: SQLiteMetadataStore
    let jobs: SQLiteJobQueue
    let blobs: FileBlobStore

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("gallery-worker-tests-\(Identifiers.make())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        database = try SQLiteDatabase(file: root.appendingPathComponent("gallery.sqlite3"))
        metadata = SQLiteMetadataStore(database: database)
        jobs = SQLiteJobQueue(database: database)
        blobs = try FileBlobStore(root: root.appendingPathComponent("blobs"))
    }

    func remove() {
        try? FileManager.default.removeItem(at: root) // test scratch; leftovers are harmless
    }

    var databaseFiles: [URL] {
        let db = root.appendingPathComponent("gallery.sqlite3")
        return [db, URL(fileURLWithPath: db.path + "-wal")]
    }

    /// What the upload handler does: original blob, then the record (processing), then the job.
    /// Keys as the upload handler makes them (`gallery thumbnails regenerate --all` reads them).
    @discardableResult
    func upload(_ file: URL, format: ImageFormat? = nil, width: Int? = nil, height: Int? = nil,
                owner: String = "owner-1", encrypted: Bool = false) throws -> ImageRecord {
        let data = try Data(contentsOf: file)
        let header = try? ImageHeader.read(file: file) // poison files have no header; the test says what to record
        let format = format ?? header?.format ?? .jpeg
        let now = Date()
        let id = Identifiers.make(now: now)
        let key = "originals/\(id.suffix(2))/\(id).\(format.fileExtension)"
        try blobs.put(key: key, file: file, contentType: format.mimeType)
        let record = ImageRecord(id: id, ownerID: owner, ownerUsername: "alice", status: encrypted ? .ready : .processing,
                                 visibility: encrypted ? .private : .public, format: format,
                                 originalFilename: file.lastPathComponent,
                                 byteSize: data.count, width: width ?? header?.width ?? 1,
                                 height: height ?? header?.height ?? 1, sha256: SHA256.hex(data),
                                 originalKey: key, createdAt: now, encrypted: encrypted)
        try metadata.putImage(record)
        // An encrypted photo is ready at once: nothing for a worker to make.
        if !encrypted { try jobs.enqueue(imageID: id, kind: .thumbnails, availableAt: now) }
        return record
    }

    func settings(slots: Int = 1, lease: TimeInterval = 2, maxAttempts: Int = 3,
                  isolation: ((inout IsolationSettings) -> Void)? = nil) -> WorkerSettings {
        var iso = IsolationSettings(executable: workerBinary, timeout: 30)
        isolation?(&iso)
        return WorkerSettings(slots: slots, lease: lease, maxAttempts: maxAttempts,
                              retryBase: 0.02, retryCap: 0.1, pollMinimum: 0.02, pollMaximum: 0.2,
                              storageBackoffMaximum: 0.3, shutdownDeadline: 5,
                              workDirectory: root.appendingPathComponent("tmp/worker"),
                              thumbnails: ThumbnailSettings(thumbnailSize: 320, previewSize: 1280, quality: 80),
                              isolation: iso)
    }

    func allJobs() throws -> [Job] {
        try [JobStatus.queued, .running, .done, .dead].flatMap { status -> [Job] in
            var all: [Job] = []
            var cursor: String?
            repeat {
                let page = try jobs.jobs(status: status, cursor: cursor, limit: 100)
                all += page.items
                cursor = page.next
            } while cursor != nil
            return all
        }
    }

    /// Job of an image (the tests enqueue one per image).
    func job(of image: ImageRecord) throws -> Job {
        let matching = try allJobs().filter { $0.imageID == image.id }
        guard matching.count == 1 else { throw GalleryError.invalid("\(matching.count) jobs for \(image.id)") }
        return matching[0]
    }

    /// Whether every image is ready and its job done. (A worker marks the image, then the job:
    /// checking only the image races with the job's last write.)
    func allDone(_ images: [ImageRecord]) throws -> Bool {
        try images.allSatisfy {
            try metadata.image(id: $0.id)?.status == .ready && job(of: $0).status == .done
        }
    }

    /// Every file under blobs/ (dot-files are the blob store's in-flight temporaries).
    func blobFiles() throws -> Set<String> {
        let base = root.appendingPathComponent("blobs")
        guard let walker = FileManager.default.enumerator(atPath: base.path) else { return [] }
        var found = Set<String>()
        while let path = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: base.appendingPathComponent(path).path, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                found.insert(path)
            }
        }
        return found
    }
}

/// Polls `condition` every 10 ms until true or `timeout`; returns whether it became true.
@discardableResult
func eventually(timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return try condition()
}

/// A log handler that keeps every message, so tests can check what operators would read.
final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var messages: [String] { lock.withLock { lines } }

    func contains(_ fragment: String) -> Bool { messages.contains { $0.contains(fragment) } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(recorder: self) }
    }

    fileprivate func append(_ line: String) { lock.withLock { lines.append(line) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.append("\(event.level) \(event.message) "
                + all.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " "))
        }
    }
}

/// A `gallery-worker` process on a site's data directory.
final class WorkerProcess {
    let process = Process()
    let log: URL

    init(site: Site, environment extra: [String: String] = [:]) throws {
        try requireWorkerBinary()
        log = site.root.appendingPathComponent("worker-\(Identifiers.make()).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw GalleryError.unavailable("cannot create \(log.path)")
        }
        process.executableURL = workerBinary
        var env = [
            "GALLERY_DATA_DIR": site.root.path,
            "GALLERY_LEASE_SECONDS": "1",
            "GALLERY_MAX_ATTEMPTS": "5",
            "GALLERY_RETRY_BASE_MS": "20",
            "GALLERY_RETRY_MAX_MS": "100",
            "GALLERY_POLL_MIN_MS": "20",
            "GALLERY_POLL_MAX_MS": "200",
            "GALLERY_LOG_LEVEL": "debug",
            "PATH": "/usr/bin:/bin",
        ]
        env.merge(extra) { $1 }
        process.environment = env
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var pid: pid_t { process.processIdentifier }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" } // for assertions and failure messages

    func signal(_ sig: Int32) { kill(pid, sig) }

    /// Waits for the process to end; nil if it is still running after `timeout`.
    func waitForExit(timeout: TimeInterval) -> Int32? {
        guard eventually(timeout: timeout, { !process.isRunning }) else { return nil }
        return process.terminationStatus
    }

    /// Ends the process for good (test cleanup).
    func stop() {
        if process.isRunning {
            signal(SIGKILL)
            process.waitUntilExit()
        }
    }
}
