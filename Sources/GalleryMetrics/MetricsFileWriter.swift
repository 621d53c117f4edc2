import Foundation
import Logging

/// Writes a process's metrics to a file, for node_exporter's textfile collector (or anything
/// that reads `*.prom` files): every `interval`, and once more on `stop()` so the last figures
/// of a process that shuts down are kept. Each write replaces the file atomically (a temporary
/// file beside it, renamed over it), so a reader never sees half of one.
public final class MetricsFileWriter: @unchecked Sendable {  // `stopping` and `running` are guarded by `condition`
    public let file: URL
    private let exposition: MetricsExposition
    private let interval: TimeInterval
    private let logger: Logger
    private let condition = NSCondition()
    private var stopping = false
    private var running = false

    public init(exposition: MetricsExposition, file: URL, interval: TimeInterval, logger: Logger) {
        self.exposition = exposition
        self.file = file
        self.interval = interval
        self.logger = logger
    }

    /// The figures as they are now, replacing the file's content.
    public func write() throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Foundation's atomic write: a temporary ".dat.nosync…" file in the same directory
        // (not matched by *.prom), then rename(2).
        try Data(exposition.prometheusText().utf8).write(to: file, options: .atomic)
    }

    /// Writes at once (a setting that cannot work fails at start-up, not silently later),
    /// then every `interval` on a thread of its own.
    public func start() throws {
        try write()
        condition.withLock { running = true }
        let thread = Thread { [self] in
            var failing = false
            while true {
                let stop = condition.withLock { () -> Bool in
                    let deadline = Date().addingTimeInterval(interval)
                    while !stopping && condition.wait(until: deadline) {}
                    return stopping
                }
                if stop { break }
                do {
                    try write()
                    if failing { logger.notice("metrics file written again", metadata: ["file": "\(file.path)"]) }
                    failing = false
                } catch {
                    // Once per failing streak: a full disk must not fill the log too.
                    if !failing { logger.error("cannot write the metrics file", metadata: ["file": "\(file.path)", "error": "\(error)"]) }
                    failing = true
                }
            }
            condition.withLock {
                running = false
                condition.broadcast()
            }
        }
        thread.name = "metrics-file"
        thread.start()
    }

    /// Stops the thread and writes the final figures.
    public func stop() throws {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while running { condition.wait() }
        }
        try write()
    }
}
