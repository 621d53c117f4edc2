import Foundation
import GalleryBootstrap
import GalleryCore
import GalleryCrypto
import GalleryMoto
import GalleryTestSupport
import ImageInspection
import Logging
import XCTest
@testable import GalleryWorker

func photo(_ relative: String) -> URL { Fixtures.url(relative) }

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

/// Where the seams of a test live: the embedded backend in the site's data directory, or AWS
/// on a moto server (DynamoDB and S3; accounts stay local, the worker needs none).
enum TestBackend: String {
    case embedded, aws
}

/// A data directory laid out as `Configuration` expects, with the seams opened the way every
/// executable opens them (`Bootstrap.backends`), so that the worker processes and `gallery`
/// started with `environment` see the same stores.
final class Site {
    let root: URL
    let backend: TestBackend
    /// For worker processes and `gallery`: the data directory and, on AWS, the endpoints.
    let environment: [String: String]
    let metadata: MetadataStore
    let jobs: JobQueue
    let blobs: BlobStore
    let catalog: CatalogStore
    let identity: IdentityProvider

    init(_ backend: TestBackend = .embedded, moto: MotoServer? = nil) throws {
        self.backend = backend
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("gallery-worker-tests-\(Identifiers.make())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var env = ["GALLERY_DATA_DIR": root.path, "PATH": "/usr/bin:/bin"]
        if backend == .aws {
            guard let moto else { throw GalleryError.invalid("an AWS site needs a moto server") }
            // Tables and bucket of their own, so that sites on one moto server never meet.
            env.merge(moto.environment(prefix: "w\(Identifiers.make().suffix(8))")) { $1 }
        }
        environment = env
        if backend == .aws {
            let setup = try runGallery(["setup"], environment: env)
            guard setup.status == 0 else { throw GalleryError.unavailable("gallery setup failed: \(setup.err)") }
        }
        let backends = try Bootstrap.backends(try Configuration(environment: env), environment: env)
        metadata = backends.stores.metadata
        jobs = backends.stores.jobs
        blobs = backends.stores.blobs
        catalog = backends.stores.catalog
        identity = backends.stores.identity
    }

    /// The site's stores, with some replaced (a flaky one, say).
    func stores(metadata: MetadataStore? = nil, jobs: JobQueue? = nil, blobs: BlobStore? = nil) -> Stores {
        Stores(metadata: metadata ?? self.metadata, catalog: catalog, jobs: jobs ?? self.jobs, blobs: blobs ?? self.blobs,
               identity: identity)
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
        if !encrypted { try jobs.enqueue(.image(id), availableAt: now) }
        return record
    }

    func settings(slots: Int = 1, lease: TimeInterval = 2, maxAttempts: Int = 3, maxInterruptions: Int = 5,
                  isolation: ((inout IsolationSettings) -> Void)? = nil) -> WorkerSettings {
        var iso = IsolationSettings(executable: workerBinary, timeout: 30)
        isolation?(&iso)
        return WorkerSettings(slots: slots, lease: lease, maxAttempts: maxAttempts, maxInterruptions: maxInterruptions,
                              retryBase: 0.02, retryCap: 0.1, pollMinimum: pollInterval.lowerBound,
                              pollMaximum: pollInterval.upperBound,
                              storageBackoffMaximum: 0.3, shutdownDeadline: 5,
                              workDirectory: root.appendingPathComponent("tmp/worker"),
                              thumbnails: ThumbnailSettings(thumbnailSize: 320, previewSize: 1280, quality: 80),
                              isolation: iso)
    }

    /// Idle polling: brisk on SQLite; the defaults on AWS, where every poll is a few DynamoDB
    /// queries and moto, serialized, answers one request at a time.
    var pollInterval: ClosedRange<TimeInterval> { backend == .aws ? 0.05...1 : 0.02...0.2 }

    /// Smaller loads on moto, which is far slower than DynamoDB or SQLite.
    func scaled(_ embedded: Int, aws: Int) -> Int { backend == .aws ? aws : embedded }

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

    /// Job of an image (the tests enqueue one per image), read afresh: the lists by status
    /// are not one snapshot, so a job that moves on while they are read shows up twice.
    func job(of image: ImageRecord) throws -> Job {
        let ids = Set(try allJobs().filter { $0.subject == .image(image.id) }.map(\.id))
        guard ids.count == 1, let job = try jobs.job(id: ids.first!) else {
            throw GalleryError.invalid("\(ids.count) jobs for \(image.id)")
        }
        return job
    }

    /// Whether every image is ready and its job done. (A worker marks the image, then the job:
    /// checking only the image races with the job's last write.)
    func allDone(_ images: [ImageRecord]) throws -> Bool {
        try images.allSatisfy {
            try metadata.image(id: $0.id)?.status == .ready && job(of: $0).status == .done
        }
    }

    /// Every stored blob's key (writes in progress are not listed).
    func blobFiles() throws -> Set<String> {
        var found = Set<String>()
        var cursor: String?
        repeat {
            let page = try blobs.list(prefix: "", cursor: cursor, limit: 1000)
            found.formUnion(page.items.map(\.key))
            cursor = page.next
        } while cursor != nil
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
        var env = site.environment
        env.merge([
            "GALLERY_LEASE_SECONDS": "1",
            "GALLERY_MAX_ATTEMPTS": "5",
            "GALLERY_RETRY_BASE_MS": "20",
            "GALLERY_RETRY_MAX_MS": "100",
            "GALLERY_POLL_MIN_MS": "\(Int(site.pollInterval.lowerBound * 1000))",
            "GALLERY_POLL_MAX_MS": "\(Int(site.pollInterval.upperBound * 1000))",
            "GALLERY_LOG_LEVEL": "debug",
        ]) { $1 }
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

struct CommandRun {
    var status: Int32
    var out: String
    var err: String
}

/// Runs the built `gallery` admin command.
func runGallery(_ arguments: [String], environment: [String: String]) throws -> CommandRun {
    try requireWorkerBinary()
    let process = Process()
    process.executableURL = workerBinary.deletingLastPathComponent().appendingPathComponent("gallery")
    process.arguments = arguments
    process.environment = environment.merging(["GALLERY_LOG_LEVEL": "warning"]) { $1 }
    // stderr to a file, so that neither pipe can fill while the other is read.
    let errors = FileManager.default.temporaryDirectory.appendingPathComponent("gallery-\(Identifiers.make()).err")
    guard FileManager.default.createFile(atPath: errors.path, contents: nil) else {
        throw GalleryError.unavailable("cannot create \(errors.path)")
    }
    defer { try? FileManager.default.removeItem(at: errors) } // test scratch
    let out = Pipe()
    process.standardOutput = out
    process.standardError = try FileHandle(forWritingTo: errors)
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandRun(status: process.terminationStatus, out: String(decoding: output, as: UTF8.self),
                      err: (try? String(contentsOf: errors, encoding: .utf8)) ?? "") // missing: no stderr
}

/// The serialized moto server (moto answers requests on parallel threads without the
/// atomicity of DynamoDB's conditional writes, and claims depend on it), as the worker sees it.
extension MotoServer {
    func environment(prefix: String) -> [String: String] {
        [
            "GALLERY_BACKEND": "aws",
            "GALLERY_IDENTITY_BACKEND": "embedded",
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "GALLERY_AWS_PREFIX": "\(prefix)-",
            "GALLERY_S3_BUCKET": "\(prefix)-blobs",
        ]
    }
}

/// A test class whose tests run on `backend`: the embedded one by default; an AWS subclass
/// overrides `backend` and repeats the test methods (one moto server per class).
class BackendTestCase: XCTestCase {
    class var backend: TestBackend { .embedded }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var motos: [ObjectIdentifier: MotoServer] = [:]

    func makeSite() throws -> Site {
        try requireWorkerBinary()
        guard Self.backend == .aws else { return try Site() }
        let moto = try Self.lock.withLock { () throws -> MotoServer in
            if let running = Self.motos[ObjectIdentifier(Self.self)] { return running }
            let started = try MotoServer(serialized: true)
            Self.motos[ObjectIdentifier(Self.self)] = started
            return started
        }
        return try Site(.aws, moto: moto)
    }

    override class func tearDown() {
        lock.withLock { motos.removeValue(forKey: ObjectIdentifier(self)) }?.stop()
        super.tearDown()
    }
}

/// The claim whose keys a record names (`DerivativeKeys(imageID:claim:)`), read back from its
/// thumbnail's key; nil for other shapes.
func claimKeys(of record: ImageRecord) -> DerivativeKeys? {
    guard let key = record.derivatives?.thumbnail.key, key.hasPrefix("thumbs/\(record.id)-v"), key.hasSuffix(".webp"),
          let claim = Int(key.dropFirst("thumbs/\(record.id)-v".count).dropLast(".webp".count)) else { return nil }
    return DerivativeKeys(imageID: record.id, claim: claim)
}
