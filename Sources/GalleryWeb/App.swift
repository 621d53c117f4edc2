import Foundation
import GalleryCore
import GalleryHTTP
import GalleryMetrics
import GalleryUseCases
import Logging
import Metrics

/// An error a handler raises to answer with a specific status and page.
struct PageError: Error {
    var status: Int
    var title: String
    var message: String
}

/// The web application: routes a request to its handler and turns every error into a clear
/// page with the right status. Nothing here is per-request set-up that could be done once.
public final class GalleryApp: Sendable {
    let config: Configuration
    let logger: Logger
    private let kit: PageKit
    private let router: Router
    private let metrics: WebMetrics

    /// `metrics` is the registry /metrics shows (none: /metrics is 404); what the app counts
    /// goes to `metricsFactory`, the process's backend unless a test gives its own.
    public init(useCases: UseCases, config: Configuration, templates: Templates, secretKey: [UInt8],
                logger: Logger = Logger(label: "gallery.web"), metrics: MetricsExposition? = nil,
                metricsFactory: MetricsFactory = MetricsSystem.factory) {
        self.config = config
        self.logger = logger
        self.metrics = WebMetrics(factory: metricsFactory, exposition: metrics)
        kit = PageKit(templates: templates, csrf: CSRFProtection(key: secretKey),
                      sessions: SessionManager(store: useCases.stores.metadata, idle: config.sessionIdle,
                                               absolute: config.sessionMax),
                      accounts: useCases.accounts, devices: DeviceCookie(key: secretKey))
        router = Routes(useCases: useCases, config: config, logger: logger, metrics: self.metrics).table()
    }

    public func handle(_ request: Request) -> Response {
        let started = ContinuousClock.now
        let context = Context(request: request, kit: kit)
        let match = router.match(method: request.method, path: request.path)
        var response: Response
        do {
            try context.loadSession()
            response = try route(context, match)
        } catch {
            response = errorResponse(error, context: context)
        }
        for cookie in context.setCookies { response.addHeader("Set-Cookie", cookie) }
        metrics.record(request, route: match.routeLabel, status: response.status,
                       elapsed: ContinuousClock.now - started, upload: context.upload)
        return response
    }

    private func route(_ c: Context, _ match: Router.Match) throws -> Response {
        switch match {
        case .found(let handler, let parameters, _):
            return try handler(c, parameters)
        case .wrongMethod:
            throw PageError(status: 405, title: "Method not allowed",
                            message: "This page does not accept \(c.request.method) requests.")
        case .notFound:
            throw GalleryError.notFound
        }
    }

    /// One place decides what each failure looks like to the user.
    func errorResponse(_ error: Error, context c: Context) -> Response {
        if let redirect = error as? Redirect { return .redirect(redirect.location) }
        let (status, title, message) = Self.describe(error, context: c, logger: logger)
        return c.page("error", status: status, title: title, ["status": status, "message": message])
    }

    /// The status, title and words of a failure: the same for a page and for a JSON answer.
    static func describe(_ error: Error, context c: Context, logger: Logger) -> (status: Int, title: String, message: String) {
        let (status, title, message): (Int, String, String)
        switch error {
        case let e as PageError:
            (status, title, message) = (e.status, e.title, e.message)
        case let e as FieldError:
            (status, title, message) = (422, "Check the form", e.message)
        case let e as Uploads.Refusal:
            (status, title, message) = (422, "Check the form", e.message)
        case is Photos.EncryptedStaysPrivate:
            (status, title, message) = (422, "Encrypted photos stay private",
                                        "Only you can see an encrypted photo: the server cannot show it to anyone.")
        case is Photos.WrongKey:
            (status, title, message) = (400, "Wrong key",
                                        "That key does not open this photo. Paste the whole key you were shown at upload.")
        case let e as ParseError:
            switch e {
            case .malformed(let m): (status, title, message) = (400, "Bad request", m)
            case .tooLarge(let m): (status, title, message) = (413, "Too large", m)
            }
        case let e as GalleryError:
            switch e {
            case .notFound:
                (status, title, message) = (404, "Not found", "There is nothing here, or it is not yours to see.")
            case .invalid(let m): (status, title, message) = (400, "Bad request", m)
            case .conflict(let m): (status, title, message) = (409, "Conflict", m)
            case .tooLarge(let m): (status, title, message) = (413, "Too large", m)
            case .badCredentials:
                (status, title, message) = (401, "Not signed in", "Wrong username or password.")
            case .notConfirmed:
                (status, title, message) = (403, "Not confirmed", "Confirm your email address first.")
            case .badCode: (status, title, message) = (400, "Wrong code", "That code is wrong or has expired.")
            case .rateLimited:
                (status, title, message) = (429, "Too many attempts",
                                            "There were too many attempts from here or on this account. Wait a few minutes, then try again.")
            case .leaseLost, .unavailable:
                logger.error("backend failure on \(c.request.method) \(c.request.path): \(e)")
                (status, title, message) = (503, "Temporarily unavailable",
                                            "The gallery could not reach its storage. Nothing was lost; try again in a moment.")
            }
        default:
            logger.error("unexpected error on \(c.request.method) \(c.request.path): \(error)")
            (status, title, message) = (500, "Something went wrong", "The error was logged. Try again.")
        }
        return (status, title, message)
    }
}

/// Thrown to answer with a redirect from deep inside a handler.
struct Redirect: Error {
    var location: String
}
