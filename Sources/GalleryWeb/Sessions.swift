import Foundation
import GalleryCore
import GalleryCrypto
import GalleryHTTP

/// Server-side sessions. The cookie holds 256 random bits; the store holds only their SHA-256,
/// so a leaked database cannot be replayed as cookies. Sessions end on logout, after
/// `idle` without a request, and at `absolute` age whatever the activity.
public struct SessionManager: Sendable {
    let store: MetadataStore
    let idle: TimeInterval
    let absolute: TimeInterval
    /// `lastSeenAt` is written at most this often, so browsing is not a write per request.
    let touchInterval: TimeInterval = 300

    public init(store: MetadataStore, idle: TimeInterval, absolute: TimeInterval) {
        self.store = store
        self.idle = idle
        self.absolute = absolute
    }

    /// The cookie name: `__Host-` whenever the request came over https, which makes browsers
    /// insist on Secure, Path=/ and no Domain.
    static func cookieName(_ request: Request) -> String {
        request.isHTTPS ? "__Host-session" : "session"
    }

    static func hash(token: String) -> String { SHA256.hex(Array(token.utf8)) }

    /// The live session named by the request's cookie, or nil (absent, forged, expired).
    func load(_ request: Request, now: Date = Date()) throws -> SessionRecord? {
        guard let token = request.cookies[Self.cookieName(request)],
              token.utf8.count == 43, Encoding.base64URLDecode(token)?.count == 32 else { return nil }
        let idHash = Self.hash(token: token)
        guard let session = try store.session(idHash: idHash) else { return nil }
        if now >= session.expiresAt || now.timeIntervalSince(session.lastSeenAt) >= idle {
            try store.deleteSession(idHash: idHash)
            return nil
        }
        if now.timeIntervalSince(session.lastSeenAt) >= touchInterval {
            try store.touchSession(idHash: idHash, lastSeenAt: now)
        }
        return session
    }

    /// A new session with a fresh id (never reuse an id across a login: session fixation).
    func create(userID: String, providerToken: String?, request: Request, now: Date = Date())
        throws -> (SessionRecord, cookie: String)
    {
        let token = SecureRandom.token(bytes: 32)
        let record = SessionRecord(idHash: Self.hash(token: token), userID: userID, createdAt: now,
                                   lastSeenAt: now, expiresAt: now.addingTimeInterval(absolute),
                                   providerToken: providerToken,
                                   device: SessionDevice.describe(request.header("user-agent")))
        try store.createSession(record)
        let cookie = Cookies.make(name: Self.cookieName(request), value: token,
                                  maxAge: Int(absolute), secure: request.isHTTPS)
        return (record, cookie)
    }

    func destroy(_ session: SessionRecord, request: Request) throws -> String {
        try store.deleteSession(idHash: session.idHash)
        return Cookies.expire(name: Self.cookieName(request), secure: request.isHTTPS)
    }
}

enum Cookies {
    /// HttpOnly and SameSite=Lax always; Secure whenever the site is reached over https.
    static func make(name: String, value: String, maxAge: Int?, secure: Bool) -> String {
        var cookie = "\(name)=\(value); Path=/; HttpOnly; SameSite=Lax"
        if let maxAge { cookie += "; Max-Age=\(maxAge)" }
        if secure { cookie += "; Secure" }
        return cookie
    }

    static func expire(name: String, secure: Bool) -> String {
        make(name: name, value: "", maxAge: 0, secure: secure)
    }
}
