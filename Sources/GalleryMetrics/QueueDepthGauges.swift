import CoreMetrics
import Foundation
import GalleryCore

/// The job queue's depth as gauges, for scaling workers on backlog:
/// `gallery_jobs{status="queued"|"running"|"dead"}` and `gallery_jobs_oldest_queued_age_seconds`.
/// The one home of these names: /metrics and `gallery jobs depth --prometheus` both record
/// a fresh `QueueDepth` through it right before they emit their registry.
public struct QueueDepthGauges: Sendable {
    public static let jobs = "gallery_jobs"
    public static let oldestQueuedAge = "gallery_jobs_oldest_queued_age_seconds"

    private let queued: Gauge
    private let running: Gauge
    private let dead: Gauge
    private let oldestAge: Gauge

    public init(factory: MetricsFactory = MetricsSystem.factory) {
        func jobs(_ status: JobStatus) -> Gauge {
            Gauge(label: Self.jobs, dimensions: [("status", status.rawValue)], factory: factory)
        }
        queued = jobs(.queued)
        running = jobs(.running)
        dead = jobs(.dead)
        oldestAge = Gauge(label: Self.oldestQueuedAge, factory: factory)
    }

    public func record(_ depth: QueueDepth, now: Date) {
        queued.record(depth.queued)
        running.record(depth.running)
        dead.record(depth.dead)
        oldestAge.record(depth.oldestQueuedAge(now: now))
    }

    /// The depth could not be read: NaN, which compares false with any threshold, so neither
    /// an alert nor an autoscaler acts on a number that is not there.
    public func recordUnknown() {
        for gauge in [queued, running, dead, oldestAge] { gauge.record(Double.nan) }
    }
}
