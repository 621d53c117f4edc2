import Foundation
import GalleryCrypto
import GalleryHTTP

/// CSRF tokens: an HMAC, under the site's secret key, of something only this browser holds —
/// the session id's hash when signed in, otherwise a random "pre-session" cookie set when a
/// form is first shown. A cross-site page can make the browser send the cookie, but it cannot
/// read it or compute the token, so a forged POST arrives without a valid token.
public struct CSRFProtection: Sendable {
    let key: [UInt8]

    public init(key: [UInt8]) { self.key = key }

    static func preCookieName(_ request: Request) -> String {
        request.isHTTPS ? "__Host-pre" : "pre"
    }

    func token(binding: String) -> String {
        Encoding.base64URL(HMAC.sha256(key: key, message: Array("csrf|\(binding)".utf8)))
    }

    func verify(_ submitted: String?, binding: String?) -> Bool {
        guard let submitted, let binding, !binding.isEmpty,
              let given = Encoding.base64URLDecode(submitted) else { return false }
        let expected = HMAC.sha256(key: key, message: Array("csrf|\(binding)".utf8))
        return constantTimeEquals(given, expected)
    }
}
