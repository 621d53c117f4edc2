import Foundation
import GalleryCrypto
import GalleryHTTP

/// The "known device" cookie of OWASP's device-cookie scheme: after a successful log-in the
/// browser gets an HMAC, under the site's key, of the account's name. A log-in attempt that
/// carries it for the account being tried is the account owner's browser, which the
/// per-account lock-out spares (`Client.knownDevice`), so that a stranger's guesses cannot
/// lock the owner out. It grants nothing else: the password is still checked.
struct DeviceCookie: Sendable {
    let key: [UInt8]
    /// A year: the point is to recognise a browser that logged in before.
    static let maxAge = 365 * 24 * 3600

    static func name(_ request: Request) -> String {
        request.isHTTPS ? "__Host-device" : "device"
    }

    private func value(username: String) -> [UInt8] {
        HMAC.sha256(key: key, message: Array("device|\(username.lowercased())".utf8))
    }

    func cookie(username: String, request: Request) -> String {
        Cookies.make(name: Self.name(request), value: Encoding.base64URL(value(username: username)),
                     maxAge: Self.maxAge, secure: request.isHTTPS)
    }

    func isKnown(_ request: Request, username: String) -> Bool {
        guard let given = request.cookies[Self.name(request)].flatMap(Encoding.base64URLDecode) else { return false }
        return constantTimeEquals(given, value(username: username))
    }
}

/// What a session's list shows of the browser that made it: "Firefox on Linux", from the
/// User-Agent at log-in (anything it does not recognise is "Unknown browser"). Never shown
/// as the raw header, which is the client's to choose.
enum SessionDevice {
    static func describe(_ userAgent: String?) -> String {
        guard let ua = userAgent, !ua.isEmpty else { return "Unknown browser" }
        // Order matters: Edge and Opera say "Chrome", Chrome says "Safari".
        let browsers = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
                        ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl")]
        let systems = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
                       ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux")]
        let browser = browsers.first { ua.contains($0.0) }?.1 ?? "Unknown browser"
        guard let system = systems.first(where: { ua.contains($0.0) })?.1 else { return browser }
        return "\(browser) on \(system)"
    }
}
