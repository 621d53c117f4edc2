// gallery-worker: claims jobs from the job table until SIGTERM or SIGINT.
// Every setting comes from the environment (GALLERY_*, see README). The same binary, run as
// `gallery-worker thumbnail …`, is the confined child that decodes one image.
import Foundation
import GalleryBootstrap
import GalleryCore
import GalleryWorker
import Logging

let arguments = CommandLine.arguments.dropFirst()
if arguments.first == ThumbnailChild.subcommand {
    exit(ThumbnailChild.main(arguments: Array(arguments.dropFirst())))
}
guard arguments.isEmpty else {
    FileHandle.standardError.write(Data("""
        usage: gallery-worker
        Runs jobs (thumbnails, account removal) until SIGTERM or SIGINT; configured by GALLERY_*
        environment variables (see README).

        """.utf8))
    exit(arguments.first == "--help" || arguments.first == "-h" ? 0 : 2)
}

// Before any thread exists, so that only the main thread ever sees these signals.
TerminationSignals.block()

let config: Configuration
let environment: [String: String]
do {
    (config, environment) = try Bootstrap.configuration()
} catch {
    FileHandle.standardError.write(Data("gallery-worker: \(error)\n".utf8))
    exit(1)
}
let logger = Bootstrap.logging(config, label: "gallery.worker")
// No port: the figures go to a file for node_exporter's textfile collector (see README).
let metricsFile = Bootstrap.workerMetrics(config, logger: logger)
let backends: Backends
do {
    backends = try Bootstrap.backends(config, environment: environment)
} catch {
    logger.critical("cannot open the backends", metadata: ["error": "\(error)"])
    exit(1)
}

// /proc/self/exe: the child is this very binary, even if an upgrade replaced the file.
let settings = WorkerSettings(configuration: config, childExecutable: URL(fileURLWithPath: "/proc/self/exe"))
let pool = WorkerPool(stores: backends.stores, settings: settings, logger: logger)
do {
    try metricsFile?.start()
} catch {
    logger.critical("cannot write the metrics file", metadata: ["file": "\(config.workerMetricsFile?.path ?? "")", "error": "\(error)"])
    exit(1)
}
pool.start()
let signal = TerminationSignals.wait()
logger.info("received \(signal == SIGTERM ? "SIGTERM" : "SIGINT"): shutting down")
pool.shutdown()
do {
    try metricsFile?.stop()
} catch {
    logger.error("cannot write the final metrics", metadata: ["error": "\(error)"])
}
exit(0)
