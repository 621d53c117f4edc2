import CoreMetrics
import Foundation
import GalleryBootstrap
import GalleryCore
import GalleryMetrics
import Logging
import MetricsTestKit
import GalleryTestSupport
import XCTest
@testable import GalleryWorker

/// What a worker counts, read back from swift-metrics' test backend, and the file a worker
/// process writes its figures to.
final class WorkerMetricsTests: XCTestCase {
    private var site: Site!
    private var pool: WorkerPool?
    private var processes: [WorkerProcess] = []
    private let log = LogRecorder()

    override func setUpWithError() throws {
        try requireWorkerBinary()
        site = try Site()
    }

    override func tearDown() {
        pool?.shutdown(deadline: 1)
        processes.forEach { $0.stop() }
        site?.remove()
    }

    private func startPool(_ settings: WorkerSettings, _ metrics: TestMetrics) {
        let pool = WorkerPool(stores: site.stores(), settings: settings, logger: log.logger, metricsFactory: metrics)
        pool.start()
        self.pool = pool
    }

    private func jobs(_ metrics: TestMetrics, _ kind: JobKind, _ outcome: String) -> Int64 {
        metrics.counterTotal(label: WorkerMetrics.jobs, dimensions: [("kind", kind.rawValue), ("outcome", outcome)])
    }

    private func exits(_ metrics: TestMetrics, _ cause: ChildExit) -> Int64 {
        metrics.counterTotal(label: WorkerMetrics.childExits, dimensions: [("cause", cause.rawValue)])
    }

    func testJobOutcomesAndDurationsAreCountedPerKind() throws {
        let metrics = TestMetrics()
        let good = try site.upload(naturePhotos[0])
        let html = site.root.appendingPathComponent("page.jpg")
        try Data("<html>no photo</html>".utf8).write(to: html)
        let poison = try site.upload(html, format: .jpeg, width: 10, height: 10)
        let account = try site.jobs.enqueue(.account(userID: "user-without-anything"), availableAt: Date())
        startPool(site.settings(maxAttempts: 2), metrics)
        XCTAssert(try eventually(timeout: 30) {
            try site.job(of: poison).status == .dead && site.allDone([good])
                && site.allJobs().first { $0.id == account.id }?.status == .done
        }, log.messages.joined(separator: "\n"))
        pool?.shutdown(deadline: 1)

        XCTAssertEqual(jobs(metrics, .thumbnails, "completed"), 1)
        XCTAssertEqual(jobs(metrics, .thumbnails, "retry"), 1, "the poison's first attempt")
        XCTAssertEqual(jobs(metrics, .thumbnails, "dead"), 1, "and its last")
        XCTAssertEqual(jobs(metrics, .deleteAccount, "completed"), 1)
        XCTAssertEqual(metrics.counters(label: WorkerMetrics.jobs).reduce(0) { $0 + $1.totalValue }, 4)
        let made = try metrics.expectTimer(WorkerMetrics.jobDuration, [("kind", "thumbnails"), ("outcome", "completed")])
        XCTAssertEqual(made.values.count, 1)
        XCTAssertGreaterThan(made.values[0], 1_000_000, "a real decode takes more than a millisecond")

        XCTAssertEqual(exits(metrics, .ok), 1)
        XCTAssertEqual(exits(metrics, .badImage), 2)
        XCTAssertEqual(try metrics.expectTimer(WorkerMetrics.childDuration, [("cause", "bad_image")]).values.count, 2)
    }

    func testAJobGivenBackAtShutdownIsAbandonedAndItsChildCancelled() throws {
        let metrics = TestMetrics()
        let image = try site.upload(bigPhoto)
        startPool(site.settings(lease: 60), metrics)
        XCTAssert(try eventually(timeout: 10) { try site.job(of: image).status == .running })
        pool?.shutdown(deadline: 0)
        XCTAssertEqual(try site.job(of: image).status, .queued, "given back")
        XCTAssertEqual(jobs(metrics, .thumbnails, "abandoned"), 1, log.messages.joined(separator: "\n"))
        XCTAssertEqual(jobs(metrics, .thumbnails, "completed"), 0)
        XCTAssertEqual(exits(metrics, .ok), 0)
    }

    func testAWorkerThatCannotStartItsChildReleasesTheJob() throws {
        let metrics = TestMetrics()
        let image = try site.upload(naturePhotos[1])
        startPool(site.settings { $0.executable = URL(fileURLWithPath: "/nonexistent/gallery-worker") }, metrics)
        XCTAssert(eventually(timeout: 10) { self.jobs(metrics, .thumbnails, "released") >= 1 },
                  log.messages.joined(separator: "\n"))
        pool?.shutdown(deadline: 1)
        XCTAssertGreaterThanOrEqual(exits(metrics, .spawnFailed), 1)
        XCTAssertEqual(try site.job(of: image).attempts, 0, "a released attempt is not counted")
    }

    func testDecodeChildExitsAreCountedByCause() throws {
        let metrics = TestMetrics()
        func thumbnailer(_ adjust: (inout IsolationSettings) -> Void = { _ in }) -> IsolatedThumbnailer {
            var isolation = IsolationSettings(executable: workerBinary, timeout: 30)
            adjust(&isolation)
            return IsolatedThumbnailer(settings: ThumbnailSettings(), isolation: isolation,
                                       metrics: WorkerMetrics(factory: metrics))
        }
        func run(_ t: IsolatedThumbnailer, _ file: URL, shouldStop: @escaping () -> Bool = { false }) throws {
            _ = try t.run(input: file, format: .jpeg, outDirectory: site.root.appendingPathComponent(Identifiers.make()),
                          shouldStop: shouldStop)
        }
        try run(thumbnailer(), naturePhotos[2])
        let text = site.root.appendingPathComponent("notes.jpg")
        try Data("plain text".utf8).write(to: text)
        try run(thumbnailer(), text)
        try run(thumbnailer { $0.timeout = 0.05 }, bigPhoto)
        let started = Date()
        try run(thumbnailer(), bigPhoto, shouldStop: { Date().timeIntervalSince(started) > 0.05 })
        XCTAssertThrowsError(try run(thumbnailer { $0.executable = URL(fileURLWithPath: "/nonexistent") }, bigPhoto))

        let counted = Dictionary(uniqueKeysWithValues: ChildExit.allCases.map { ($0, exits(metrics, $0)) })
        XCTAssertEqual(counted, [.ok: 1, .badImage: 1, .memoryLimit: 0, .cpuLimit: 0, .timeout: 1, .fileSizeLimit: 0,
                                 .crash: 0, .badOutput: 0, .cancelled: 1, .spawnFailed: 1])
    }

    func testTheMetricsFileIsReplacedWholeEveryIntervalAndAtStop() throws {
        let prometheus = Bootstrap.prometheus(constantLabels: [("worker", "w-1")])
        let counter = CoreMetrics.Counter(label: "test_turns_total", factory: prometheus.factory)
        let file = site.root.appendingPathComponent("textfile/w-1.prom")
        let writer = MetricsFileWriter(exposition: prometheus, file: file, interval: 0.002, logger: log.logger)
        try writer.start()
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8),
                       "# TYPE test_turns_total counter\ntest_turns_total{worker=\"w-1\"} 0\n", "written at start")
        // A reader racing the writer sees a whole file every time (a truncate-then-write
        // would show it empty or cut).
        var reads = 0
        let deadline = Date().addingTimeInterval(0.5)
        while Date() < deadline {
            counter.increment()
            let text = try String(contentsOf: file, encoding: .utf8)
            XCTAssert(text.hasPrefix("# TYPE test_turns_total counter\ntest_turns_total{worker=\"w-1\"} ") && text.hasSuffix("\n"), text)
            reads += 1
        }
        XCTAssertGreaterThan(reads, 100)
        counter.increment(by: 1000)
        try writer.stop()
        let final = try String(contentsOf: file, encoding: .utf8)
        XCTAssert(final.contains("test_turns_total{worker=\"w-1\"} \(reads + 1000)\n"), final)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: file.deletingLastPathComponent().path), ["w-1.prom"],
                       "no temporary file left beside it")
        counter.increment()
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), final, "no write after stop")
    }

    func testAWorkerProcessWritesItsFiguresToTheFileItIsGiven() throws {
        let file = site.root.appendingPathComponent("textfile/gallery-worker-7.prom")
        let worker = try WorkerProcess(site: site, environment: ["GALLERY_WORKER_METRICS_FILE": file.path,
                                                                 "GALLERY_WORKER_METRICS_SECONDS": "1"])
        processes.append(worker)
        let image = try site.upload(naturePhotos[3])
        let completed = #"gallery_worker_jobs_total{kind="thumbnails",outcome="completed",worker="gallery-worker-7"} 1"#
        XCTAssert(eventually(timeout: 20) {
            ((try? String(contentsOf: file, encoding: .utf8)) ?? "").contains(completed + "\n")
        }, worker.output + ((try? String(contentsOf: file, encoding: .utf8)) ?? "(no file)"))
        XCTAssertEqual(try site.job(of: image).status, .done)
        worker.signal(SIGTERM)
        XCTAssertEqual(worker.waitForExit(timeout: 10), 0, worker.output)
        let text = try String(contentsOf: file, encoding: .utf8)
        XCTAssert(text.contains(#"gallery_decode_child_exits_total{cause="ok",worker="gallery-worker-7"} 1"#), text)
        XCTAssert(text.contains(#"gallery_worker_job_duration_seconds_count{kind="thumbnails",outcome="completed",worker="gallery-worker-7"} 1"#), text)
    }

    func testAWorkerWhoseMetricsFileCannotBeWrittenStopsAtStart() throws {
        let worker = try WorkerProcess(site: site, environment: ["GALLERY_WORKER_METRICS_FILE": "/proc/no-such-dir/w.prom"])
        processes.append(worker)
        XCTAssertEqual(worker.waitForExit(timeout: 10), 1, worker.output)
        XCTAssert(worker.output.contains("cannot write the metrics file"), worker.output)
    }
}
