import Foundation
import GalleryBootstrap
import GalleryCore
import GalleryHTTP
import GalleryUseCases
import MetricsTestKit
import XCTest
@testable import GalleryWeb

/// What the responder counts, read back from swift-metrics' test backend, and /metrics as a
/// scraper sees it, read back from a real Prometheus registry.
final class WebMetricsTests: XCTestCase {
    override func setUp() {
        setenv("GALLERY_ARGON2_MEMORY_KIB", "8192", 1)
    }

    private func photo(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TestServer.testdata.appendingPathComponent(path)))
    }

    private func requests(_ metrics: TestMetrics, _ method: String, _ route: String, _ status: Int) -> Int64 {
        metrics.counterTotal(label: WebMetrics.requests,
                             dimensions: [("method", method), ("route", route), ("status", String(status))])
    }

    func testRequestsAreCountedAndTimedByRoutePatternNeverByPath() throws {
        let metrics = TestMetrics()
        let server = try TestServer(metricsFactory: metrics)
        let visitor = server.browser()
        XCTAssertEqual(visitor.get("/").status, 200)
        XCTAssertEqual(visitor.get("/").status, 200)
        for id in ["a" * 32, "b" * 32] { XCTAssertEqual(visitor.get("/images/\(id)").status, 404) }
        for path in ["/nope", "/x/y/z", "/images/1/2/3/4"] { XCTAssertEqual(visitor.get(path).status, 404) }
        XCTAssertEqual(visitor.request("PUT", "/gallery").status, 405)
        XCTAssertEqual(visitor.request("BREW", "/gallery").status, 405)

        XCTAssertEqual(requests(metrics, "GET", "/", 200), 2)
        XCTAssertEqual(requests(metrics, "GET", "/images/:id", 404), 2, "two ids, one series")
        XCTAssertEqual(requests(metrics, "GET", WebMetrics.unmatched, 404), 3, "every unknown path in one series")
        XCTAssertEqual(requests(metrics, "PUT", "/gallery", 405), 1)
        XCTAssertEqual(requests(metrics, "other", "/gallery", 405), 1, "unknown methods add no series")
        let routes = Set(metrics.counters(label: WebMetrics.requests).compactMap {
            $0.dimensions.first { $0.0 == "route" }?.1
        })
        XCTAssertEqual(routes, ["/", "/images/:id", WebMetrics.unmatched, "/gallery"])

        let timer = try metrics.expectTimer(WebMetrics.duration, [("method", "GET"), ("route", "/"), ("status", "200")])
        XCTAssertEqual(timer.values.count, 2)
        XCTAssert(timer.values.allSatisfy { $0 > 0 && $0 < 10_000_000_000 }, "\(timer.values) ns")
    }

    func testUploadedFilesAndBytesAreCountedByOutcome() throws {
        let metrics = TestMetrics()
        let server = try TestServer(environment: ["GALLERY_MAX_REQUEST_BYTES": "2000000"], metricsFactory: metrics)
        let alice = server.browser()
        try alice.signUp("alice")
        func files(_ outcome: String) -> Int64 { metrics.counterTotal(label: WebMetrics.uploadFiles, dimensions: [("outcome", outcome)]) }
        func bytes(_ outcome: String) -> Int64 { metrics.counterTotal(label: WebMetrics.uploadBytes, dimensions: [("outcome", outcome)]) }

        let jpeg = try photo("orientation/Landscape_6.jpg")
        let png = try photo("photos/formats/density_plot.png")
        XCTAssertEqual(alice.upload([("a.jpg", jpeg), ("b.png", png)]).status, 303)
        XCTAssertEqual(files("accepted"), 2)
        XCTAssertEqual(bytes("accepted"), Int64(jpeg.count + png.count))

        // The same JPEG again beside a new one: one stored, one reported as a duplicate.
        let other = try photo("orientation/Landscape_1.jpg")
        XCTAssertEqual(alice.upload([("again.jpg", jpeg), ("new.jpg", other)]).status, 200)
        XCTAssertEqual(files("accepted"), 3)
        XCTAssertEqual(bytes("accepted"), Int64(jpeg.count + png.count + other.count))
        XCTAssertEqual(files("duplicate"), 1)
        XCTAssertEqual(bytes("duplicate"), Int64(jpeg.count))

        // A file that is not an image refuses the request with every file in it.
        let html = Array("<!doctype html><script>alert(1)</script>".utf8)
        XCTAssertEqual(alice.upload([("cat.png", html), ("good.jpg", other)]).status, 422)
        XCTAssertEqual(files("refused"), 2)
        XCTAssertEqual(bytes("refused"), Int64(html.count + other.count))

        // Refused before any file was read: only the request's size is known.
        let big = alice.request("POST", "/upload", body: [], contentType: "multipart/form-data; boundary=x",
                                extraParams: ["CONTENT_LENGTH": "5000000"])
        XCTAssertEqual(big.status, 413)
        XCTAssertEqual(files("refused"), 2)
        XCTAssertEqual(bytes("refused"), Int64(html.count + other.count) + 5_000_000)
        XCTAssertEqual(files("failed"), 0)
    }

    func testMetricsPageIsPrometheusTextWithTheExpectedFamilies() throws {
        let prometheus = Bootstrap.prometheus()
        let server = try TestServer(metrics: prometheus, metricsFactory: prometheus.factory)
        let alice = server.browser()
        try alice.signUp("alice")
        XCTAssertEqual(alice.upload([("a.jpg", try photo("orientation/Landscape_6.jpg"))]).status, 303)
        XCTAssertEqual(alice.get("/images/\("c" * 32)").status, 404)

        let response = server.browser().get("/metrics")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers.first { $0.0 == "Content-Type" }?.1, "text/plain; version=0.0.4; charset=utf-8")
        let text = try PrometheusTextReader(response.bodyText)
        XCTAssertEqual(text.types["gallery_http_requests_total"], "counter")
        XCTAssertEqual(text.types["gallery_http_request_duration_seconds"], "histogram")
        XCTAssertEqual(text.types["gallery_upload_files_total"], "counter")
        XCTAssertEqual(text.types["gallery_upload_bytes_total"], "counter")
        XCTAssertEqual(text.types["gallery_jobs"], "gauge")
        XCTAssertEqual(text.types["gallery_jobs_oldest_queued_age_seconds"], "gauge")

        XCTAssertEqual(text.value("gallery_http_requests_total", ["method": "POST", "route": "/upload", "status": "303"]), 1)
        XCTAssertEqual(text.value("gallery_http_requests_total", ["method": "GET", "route": "/images/:id", "status": "404"]), 1)
        let upload = ["method": "POST", "route": "/upload", "status": "303"]
        XCTAssertEqual(text.value("gallery_http_request_duration_seconds_count", upload), 1)
        let buckets = text.samples("gallery_http_request_duration_seconds_bucket", matching: upload)
        XCTAssertEqual(buckets.last?.labels["le"], "+Inf")
        XCTAssertEqual(buckets.map(\.value), buckets.map(\.value).sorted(), "cumulative buckets")
        XCTAssertEqual(text.value("gallery_upload_files_total", ["outcome": "accepted"]), 1)
        // The depth is read at scrape time: the upload's job waits, nothing runs.
        XCTAssertEqual(text.value("gallery_jobs", ["status": "queued"]), 1)
        XCTAssertEqual(text.value("gallery_jobs", ["status": "running"]), 0)
        XCTAssertEqual(text.value("gallery_jobs", ["status": "dead"]), 0)
        XCTAssertGreaterThan(try XCTUnwrap(text.value("gallery_jobs_oldest_queued_age_seconds")), 0)
        // The page's own request is counted after it is answered: it shows in the next scrape.
        XCTAssertNil(text.value("gallery_http_requests_total", ["method": "GET", "route": "/metrics", "status": "200"]))
        let again = try PrometheusTextReader(server.browser().get("/metrics").bodyText)
        XCTAssertEqual(again.value("gallery_http_requests_total", ["method": "GET", "route": "/metrics", "status": "200"]), 1)
    }

    func testWhileTheQueueIsUnreadableMetricsAreServedWithTheDepthUnknown() throws {
        let server = try TestServer()
        let prometheus = Bootstrap.prometheus()
        let s = server.services
        let failing = UnreadableDepth(s.jobs)
        let stores = Stores(metadata: s.metadata, catalog: s.catalog, jobs: failing, blobs: s.blobs, identity: s.identity)
        let app = GalleryApp(useCases: UseCases(stores: stores, settings: UseCases.Settings(server.config)),
                             config: server.config, templates: try Templates(directory: server.config.templatesDirectory),
                             secretKey: Array(repeating: 7, count: 32), metrics: prometheus, metricsFactory: prometheus.factory)
        let scrape = { app.handle(Request(method: "GET", path: "/metrics", peerAddress: "127.0.0.1")) }
        XCTAssertEqual(scrape().status, 200)
        failing.broken = true
        let response = scrape()
        XCTAssertEqual(response.status, 200)
        let text = try PrometheusTextReader(response.bodyText)
        XCTAssert(try XCTUnwrap(text.value("gallery_jobs", ["status": "queued"])).isNaN)
        XCTAssert(try XCTUnwrap(text.value("gallery_jobs_oldest_queued_age_seconds")).isNaN)
        XCTAssertEqual(text.value("gallery_http_requests_total", ["method": "GET", "route": "/metrics", "status": "200"]), 1)
        failing.broken = false
        XCTAssertEqual(try PrometheusTextReader(scrape().bodyText).value("gallery_jobs", ["status": "queued"]), 0)
    }

    func testMetricsAreOnlyForLoopbackAndOnlyWithARegistry() throws {
        let prometheus = Bootstrap.prometheus()
        let server = try TestServer(metrics: prometheus, metricsFactory: prometheus.factory)
        let browser = server.browser()
        XCTAssertEqual(browser.get("/metrics").status, 200)
        XCTAssertEqual(browser.request("GET", "/metrics", extraParams: ["REMOTE_ADDR": "::1"]).status, 200)
        // A path nginx's `location = /metrics` does not match reaches the route through
        // `location /`, from anywhere: the responder refuses it itself.
        for peer in ["10.0.0.7", "127.0.0.2", "", "::ffff:10.0.0.7"] {
            XCTAssertEqual(browser.request("GET", "/metrics/", extraParams: ["REMOTE_ADDR": peer]).status, 404, peer)
        }
        XCTAssertEqual(try TestServer().browser().get("/metrics").status, 404, "no registry, no page")
    }
}

private func * (s: String, n: Int) -> String { String(repeating: s, count: n) }

/// A job queue whose depth cannot be read while `broken` (DynamoDB unreachable, say).
private final class UnreadableDepth: JobQueue, @unchecked Sendable {  // `broken` is set by the test thread only
    let base: JobQueue
    var broken = false
    init(_ base: JobQueue) { self.base = base }
    func depth(now: Date) throws -> QueueDepth {
        if broken { throw GalleryError.unavailable("DynamoDB: Query jobs: timed out") }
        return try base.depth(now: now)
    }
    func enqueue(_ subject: JobSubject, availableAt: Date) throws -> Job { try base.enqueue(subject, availableAt: availableAt) }
    func claim(owner: String, lease: TimeInterval, now: Date) throws -> Job? { try base.claim(owner: owner, lease: lease, now: now) }
    func heartbeat(_ job: Job, lease: TimeInterval, now: Date) throws -> Job { try base.heartbeat(job, lease: lease, now: now) }
    func complete(_ job: Job, now: Date) throws { try base.complete(job, now: now) }
    func fail(_ job: Job, error: String, retryAt: Date?, now: Date) throws { try base.fail(job, error: error, retryAt: retryAt, now: now) }
    func release(_ job: Job, now: Date) throws { try base.release(job, now: now) }
    func job(id: String) throws -> Job? { try base.job(id: id) }
    func jobs(status: JobStatus, cursor: String?, limit: Int) throws -> Page<Job> { try base.jobs(status: status, cursor: cursor, limit: limit) }
    func requeue(id: String, now: Date) throws { try base.requeue(id: id, now: now) }
}
