import Foundation
import GalleryCore
import GalleryHTTP
import GalleryMetrics
import Logging

/// GET /metrics: this responder's figures, with the queue's depth read now. nginx lets only
/// loopback reach it; the responder checks the peer too, because a path nginx might not hold
/// as `/metrics` (a trailing slash) reaches this route through `location /`.
struct MetricsPage {
    let metrics: WebMetrics
    let jobs: JobQueue
    let logger: Logger

    func metrics(_ c: Context) throws -> Response {
        guard Self.isLoopback(c.request.peerAddress), let exposition = metrics.exposition else {
            throw GalleryError.notFound
        }
        let now = Date()
        do {
            metrics.depth.record(try jobs.depth(now: now), now: now)
        } catch {
            // The responder's own figures matter most while storage fails: they are served,
            // with the depth unknown.
            logger.warning("/metrics: queue depth unavailable: \(error)")
            metrics.depth.recordUnknown()
        }
        return .text(exposition.prometheusText(), contentType: PrometheusText.contentType)
    }

    static func isLoopback(_ address: String?) -> Bool {
        address == "127.0.0.1" || address == "::1"
    }
}
