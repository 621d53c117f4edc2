import CoreMetrics
import Foundation
import GalleryHTTP
import GalleryMetrics
import Metrics

/// What the responder counts. Routes are named by their pattern (`/images/:id`), never by the
/// path, and methods outside a fixed set are "other", so no request can add a series.
struct WebMetrics {
    static let requests = "gallery_http_requests_total"
    static let duration = "gallery_http_request_duration_seconds"
    static let uploadFiles = "gallery_upload_files_total"
    static let uploadBytes = "gallery_upload_bytes_total"
    /// The route of every path that no route matches.
    static let unmatched = "unmatched"
    private static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

    private let requests: LabeledSeries<Counter>
    private let durations: LabeledSeries<CoreMetrics.Timer>
    private let uploadFiles: LabeledSeries<Counter>
    private let uploadBytes: LabeledSeries<Counter>
    let depth: QueueDepthGauges
    /// The registry's text for /metrics; nil when the process installed no backend.
    let exposition: MetricsExposition?

    init(factory: MetricsFactory, exposition: MetricsExposition?) {
        let routeLabels: @Sendable ([String]) -> [(String, String)] = { [("method", $0[0]), ("route", $0[1]), ("status", $0[2])] }
        requests = LabeledSeries { Counter(label: Self.requests, dimensions: routeLabels($0), factory: factory) }
        durations = LabeledSeries { CoreMetrics.Timer(label: Self.duration, dimensions: routeLabels($0), factory: factory) }
        uploadFiles = LabeledSeries { Counter(label: Self.uploadFiles, dimensions: [("outcome", $0[0])], factory: factory) }
        uploadBytes = LabeledSeries { Counter(label: Self.uploadBytes, dimensions: [("outcome", $0[0])], factory: factory) }
        depth = QueueDepthGauges(factory: factory)
        self.exposition = exposition
    }

    func record(_ request: Request, route: String, status: Int, elapsed: Duration, upload: UploadTally?) {
        let method = Self.methods.contains(request.method) ? request.method : "other"
        requests(method, route, String(status)).increment()
        durations(method, route, String(status)).record(duration: elapsed)
        if let upload {
            record(upload, status: status)
        } else if status >= 400, request.method == "POST", request.contentType.lowercased().hasPrefix("multipart/") {
            // Refused before its files were read (too large, malformed, signed out): only the
            // request's size is known.
            if let length = request.contentLength, length > 0 { uploadBytes(Self.outcome(status)).increment(by: length) }
        }
    }

    private func record(_ upload: UploadTally, status: Int) {
        func add(_ outcome: String, files: Int, bytes: Int) {
            guard files > 0 else { return }
            uploadFiles(outcome).increment(by: files)
            uploadBytes(outcome).increment(by: bytes)
        }
        let received = (files: upload.received.count, bytes: upload.received.reduce(0, +))
        guard status < 400 else { return add(Self.outcome(status), files: received.files, bytes: received.bytes) }
        let stored = upload.stored.map { (files: $0.count, bytes: $0.reduce(0, +)) } ?? received
        add("accepted", files: stored.files, bytes: stored.bytes)
        // The rest passed every check but was already in the gallery.
        add("duplicate", files: received.files - stored.files, bytes: received.bytes - stored.bytes)
    }

    private static func outcome(_ status: Int) -> String { status >= 500 ? "failed" : "refused" }
}

/// The files of one upload request, noted by the upload handler for `WebMetrics`.
struct UploadTally {
    /// The size of every file the request carried.
    var received: [Int]
    /// The sizes of those stored, when some were not (duplicates); nil when all were.
    var stored: [Int]?
}

extension Router.Match {
    /// The route's pattern, or `WebMetrics.unmatched`.
    var routeLabel: String {
        switch self {
        case .found(_, _, let pattern), .wrongMethod(let pattern): return pattern
        case .notFound: return WebMetrics.unmatched
        }
    }
}
