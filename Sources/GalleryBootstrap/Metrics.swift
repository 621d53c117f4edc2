import CoreMetrics
import Foundation
import GalleryCore
import GalleryMetrics
import Logging
import Prometheus

/// A Prometheus registry and the swift-metrics factory that records into it. The library
/// modules see only swift-metrics; this is the backend each executable picks at start.
public struct PrometheusMetrics: MetricsExposition {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    public func prometheusText() -> String { registry.emitToString() }
}

extension Bootstrap {
    /// Every timer's buckets, in seconds: from a page render (about a millisecond) to a decode
    /// near its default time limit (60 s) and a job that also uploads its derivatives.
    static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
        .seconds(60), .seconds(120),
    ]

    /// A registry of its own, not installed as the process's backend (tests record into it
    /// through `factory`). `constantLabels` are added to every series.
    public static func prometheus(constantLabels: [(String, String)] = []) -> PrometheusMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = durationBuckets
        if !constantLabels.isEmpty {
            factory.nameAndLabelSanitizer = { name, labels in (name, labels + constantLabels) }
        }
        return PrometheusMetrics(registry: registry, factory: factory)
    }

    /// Installs a Prometheus registry as the process's metrics backend, once per process.
    public static func metrics(constantLabels: [(String, String)] = []) -> PrometheusMetrics {
        let metrics = prometheus(constantLabels: constantLabels)
        MetricsSystem.bootstrap(metrics.factory)
        return metrics
    }

    /// Installs a worker's backend and, when `GALLERY_WORKER_METRICS_FILE` is set, returns the
    /// writer that puts its figures in that file. Every series then carries
    /// `worker="<file name without .prom>"`, so that the files of several workers can share one
    /// textfile-collector directory without two of them holding the same series.
    public static func workerMetrics(_ config: Configuration, logger: Logger) -> MetricsFileWriter? {
        guard let file = config.workerMetricsFile else {
            _ = metrics()
            return nil
        }
        let name = file.pathExtension == "prom" ? file.deletingPathExtension().lastPathComponent : file.lastPathComponent
        let metrics = metrics(constantLabels: [("worker", name)])
        return MetricsFileWriter(exposition: metrics, file: file, interval: config.workerMetricsInterval, logger: logger)
    }
}
