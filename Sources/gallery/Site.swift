import Foundation
import GalleryBootstrap
import GalleryCore
import Logging

/// The configured backends, opened once per command.
struct Site {
    let config: Configuration
    let backends: Backends
    let logger: Logger
    /// What this command records (e.g. the queue depth it prints as Prometheus text).
    let metrics: PrometheusMetrics

    static func open() throws -> Site {
        let (config, environment) = try Bootstrap.configuration()
        let logger = Bootstrap.logging(config, label: "gallery.admin")
        let metrics = Bootstrap.metrics()
        return Site(config: config, backends: try Bootstrap.backends(config, environment: environment), logger: logger,
                    metrics: metrics)
    }
}

/// Prints to stderr; stdout carries only the command's output (tables, JSON).
func note(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

extension Date {
    /// ISO 8601 in UTC, to the second.
    var iso: String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: self)
    }
}
