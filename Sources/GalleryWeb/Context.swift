import Foundation
import GalleryCore
import GalleryCrypto
import GalleryHTTP
import GalleryUseCases

/// What every request's handling shares: the templates, CSRF keys, sessions and the profile
/// lookup behind them.
struct PageKit: Sendable {
    let templates: Templates
    let csrf: CSRFProtection
    let sessions: SessionManager
    let accounts: Accounts
    let devices: DeviceCookie
}

/// What one request carries through its handler: the session, the signed-in user, cookies to
/// set, and the helpers every page needs.
final class Context {
    let request: Request
    private let kit: PageKit
    private(set) var session: SessionRecord?
    private(set) var user: Profile?
    var setCookies: [String] = []
    /// The files of an upload request, for the upload metrics (set by `receive`).
    var upload: UploadTally?
    /// What CSRF tokens bind to when nobody is signed in (created on first use).
    private var preSession: String?

    init(request: Request, kit: PageKit) {
        self.request = request
        self.kit = kit
    }

    func loadSession() throws {
        guard let session = try kit.sessions.load(request) else {
            if request.cookies[SessionManager.cookieName(request)] != nil {
                // Forged or expired: drop the cookie so the browser stops sending it.
                setCookies.append(Cookies.expire(name: SessionManager.cookieName(request), secure: request.isHTTPS))
            }
            return
        }
        guard let profile = try kit.accounts.profile(userID: session.userID) else {
            _ = try kit.sessions.destroy(session, request: request)
            return
        }
        self.session = session
        self.user = profile
    }

    func signIn(_ identity: Identity) throws {
        if let old = session { _ = try kit.sessions.destroy(old, request: request) }
        let (record, cookie) = try kit.sessions.create(userID: identity.userID,
                                                       providerToken: identity.providerToken,
                                                       request: request)
        session = record
        user = try kit.accounts.profile(userID: identity.userID)
        setCookies.append(cookie)
        setCookies.append(kit.devices.cookie(username: identity.username, request: request))
    }

    /// Who is attempting something on `account`, for the throttles.
    func client(trying account: String? = nil) -> Client {
        Client(address: request.peerAddress ?? "",
               knownDevice: account.map { kit.devices.isKnown(request, username: $0) } ?? false)
    }

    func signOut() throws {
        guard let session else { return }
        setCookies.append(try kit.sessions.destroy(session, request: request))
        self.session = nil
        user = nil
    }

    /// The signed-in user, or a redirect to the log-in page (GET) / a 403 (POST).
    func requireUser() throws -> Profile {
        if let user { return user }
        if request.method == "GET" {
            throw Redirect(location: "/login?next=" + (request.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
        }
        throw PageError(status: 403, title: "Signed out", message: "Your session has ended. Log in and try again.")
    }

    // MARK: CSRF

    private var csrfBinding: String? {
        if let session { return session.idHash }
        return request.cookies[CSRFProtection.preCookieName(request)].flatMap {
            Encoding.base64URLDecode($0)?.count == 32 ? $0 : nil
        } ?? preSession
    }

    /// The token for this page's forms; for a visitor, sets the pre-session cookie it binds to.
    func csrfToken() -> String {
        if csrfBinding == nil {
            let value = SecureRandom.token(bytes: 32)
            preSession = value
            setCookies.append(Cookies.make(name: CSRFProtection.preCookieName(request), value: value,
                                           maxAge: nil, secure: request.isHTTPS))
        }
        return kit.csrf.token(binding: csrfBinding!)
    }

    func checkCSRF(_ fields: FormFields) throws {
        guard kit.csrf.verify(fields.first("csrf"), binding: csrfBinding) else {
            throw PageError(status: 403, title: "Form expired",
                            message: "This form was stale or did not come from this site. Go back, reload the page and submit it again.")
        }
    }

    // MARK: Forms

    /// Reads an urlencoded POST body (bounded) and checks its CSRF token.
    func form(maxBytes: Int = 64 * 1024) throws -> FormFields {
        let type = request.contentType.lowercased()
        guard type.hasPrefix("application/x-www-form-urlencoded") else {
            throw PageError(status: 415, title: "Unsupported form", message: "Send this form from the page it belongs to.")
        }
        if let length = request.contentLength, length > maxBytes {
            throw ParseError.tooLarge("The form is larger than \(maxBytes / 1024) KB.")
        }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { request.body.read(into: $0) }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > maxBytes { throw ParseError.tooLarge("The form is larger than \(maxBytes / 1024) KB.") }
        }
        let fields = try URLEncoded.parse(bytes)
        try checkCSRF(fields)
        return fields
    }

    // MARK: Pages

    /// Renders a page with the data every page needs (who is signed in, the CSRF token).
    /// `forms`: the page has a form for visitors, so it needs a token even when nobody is
    /// signed in (which sets the pre-session cookie; pages without forms stay cookie-free and
    /// cacheable).
    func page(_ template: String, status: Int = 200, title: String, forms: Bool = false,
              _ data: [String: Any] = [:]) -> Response {
        var context = data
        context["title"] = title
        if user != nil || forms { context["csrf"] = csrfToken() }
        if let user {
            context["user"] = ["username": user.username, "displayName": user.displayName]
        }
        if let newest = newestPage { context["newest"] = newest }
        return .html(kit.templates.render(template, context), status: status)
    }
}

extension Context {
    /// On a later page of a cursor list, this page's address without its cursor: the "newest"
    /// link (cursors only go forward; the script scrolls on, people and crawlers follow links).
    var newestPage: String? {
        guard request.query.first("cursor") != nil else { return nil }
        let rest = request.queryString.split(separator: "&").filter { !$0.hasPrefix("cursor=") }
        return rest.isEmpty ? request.path : request.path + "?" + rest.joined(separator: "&")
    }
}
