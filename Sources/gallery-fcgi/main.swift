// gallery-fcgi: the FastCGI responder. Reads configuration, builds the backends, serves.
import Foundation
import GalleryBootstrap
import GalleryCore
import GalleryHTTP
import GalleryUseCases
import GalleryWeb

do {
    let (config, environment) = try Bootstrap.configuration()
    let logger = Bootstrap.logging(config, label: "gallery.fcgi")
    let metrics = Bootstrap.metrics()
    let backends = try Bootstrap.backends(config, environment: environment)
    let leftovers = try AbandonedUploads.remove(in: config.temporaryDirectory,
                                                writtenBefore: Date().addingTimeInterval(-AbandonedUploads.safeAge))
    if !leftovers.isEmpty { logger.notice("removed \(leftovers.count) upload file(s) a stopped responder left behind") }
    let app = GalleryApp(
        useCases: UseCases(stores: backends.stores, settings: UseCases.Settings(config)),
        config: config, templates: try Templates(directory: config.templatesDirectory),
        secretKey: try Bootstrap.secretKey(config), metrics: metrics)
    let server = FastCGIServer(listen: config.listen, threads: config.threads, handler: app.handle)
    try server.run {
        logger.info("listening on \(config.listen) with \(config.threads) threads, backend \(config.backend.rawValue)")
    }
    logger.info("stopped: in-flight requests finished")
} catch {
    FileHandle.standardError.write(Data("gallery-fcgi: \(error)\n".utf8))
    exit(1)
}
