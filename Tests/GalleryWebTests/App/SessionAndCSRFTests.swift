import Foundation
import GalleryCore
import XCTest
import GalleryHTTP
@testable import GalleryWeb

final class SessionAndCSRFTests: XCTestCase {
    var server: TestServer!

    override func setUpWithError() throws {
        setenv("GALLERY_ARGON2_MEMORY_KIB", "8192", 1)  // a real Argon2id hash, cheaper for tests
        server = try TestServer()
    }

    func testLoginSetsAServerSideSessionCookie() throws {
        let b = server.browser()
        try b.signUp("carol")
        XCTAssertNotNil(b.cookies["session"])
        let page = b.get("/gallery")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.bodyText.contains("Your photos"))
    }

    func testSessionCookieAttributesOverHTTPAndHTTPS() throws {
        let plain = server.browser()
        try plain.signUp("dave")
        let b = server.browser()
        b.https = true
        let login = b.post("/login", [("username", "dave"), ("password", "correct horse battery")], csrfFrom: "/login")
        XCTAssertEqual(login.status, 303)
        let cookie = try XCTUnwrap(login.headers.first { $0.0 == "Set-Cookie" && $0.1.hasPrefix("__Host-session=") }?.1)
        for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            XCTAssertTrue(cookie.contains(attribute), "\(attribute) missing in \(cookie)")
        }
        XCTAssertFalse(cookie.contains("Domain"))
        let plainLogin = server.browser()
        let r = plainLogin.post("/login", [("username", "dave"), ("password", "correct horse battery")], csrfFrom: "/login")
        let plainCookie = try XCTUnwrap(r.headers.first { $0.0 == "Set-Cookie" && $0.1.hasPrefix("session=") }?.1)
        XCTAssertTrue(plainCookie.contains("HttpOnly") && plainCookie.contains("SameSite=Lax"))
        XCTAssertFalse(plainCookie.contains("Secure"))
    }

    func testLoginIssuesANewSessionIdEachTime() throws {
        let b = server.browser()
        try b.signUp("erin")
        let first = b.cookies["session"]
        // Logging in again from a signed-in browser (the login page itself redirects away).
        b.post("/login", [("username", "erin"), ("password", "correct horse battery")], csrfFrom: "/gallery")
        XCTAssertNotNil(b.cookies["session"])
        XCTAssertNotEqual(first, b.cookies["session"])
    }

    func testWrongPasswordAndUnknownUserLookTheSame() throws {
        try server.browser().signUp("frank")
        let b = server.browser()
        let wrong = b.post("/login", [("username", "frank"), ("password", "wrong password!")], csrfFrom: "/login")
        let unknown = b.post("/login", [("username", "nobody"), ("password", "wrong password!")], csrfFrom: "/login")
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual(unknown.status, 401)
        XCTAssertTrue(wrong.bodyText.contains("Wrong username or password."))
        XCTAssertTrue(unknown.bodyText.contains("Wrong username or password."))
    }

    func testStateChangesWithoutAValidCSRFTokenAreRefused() throws {
        let b = server.browser()
        try b.signUp("grace")
        XCTAssertEqual(b.post("/profile", [("displayName", "G")]).status, 403)
        XCTAssertEqual(b.post("/profile", [("displayName", "G"), ("csrf", "AAAA")]).status, 403)
        // A token minted for another browser's session does not work in this one.
        let other = server.browser()
        try other.signUp("heidi")
        let foreign = other.csrf(from: "/profile")
        XCTAssertEqual(b.post("/profile", [("displayName", "G"), ("csrf", foreign)]).status, 403)
        XCTAssertEqual(b.post("/logout", []).status, 403)
        XCTAssertEqual(b.get("/gallery").status, 200, "a refused logout must not end the session")
        XCTAssertEqual(b.post("/profile", [("displayName", "Grace H")], csrfFrom: "/profile").status, 303)
        XCTAssertTrue(b.get("/profile").bodyText.contains("Grace H"))
    }

    func testAnonymousFormsAreProtectedToo() {
        let b = server.browser()
        let r = b.post("/login", [("username", "x"), ("password", "y")])
        XCTAssertEqual(r.status, 403)
        XCTAssertTrue(r.bodyText.contains("Form expired"))
    }

    func testForgedAndExpiredSessionCookiesAreAnonymous() throws {
        let b = server.browser()
        b.cookies["session"] = "forged-forged-forged-forged-forged-forged-ab"
        let r = b.get("/gallery")
        XCTAssertEqual(r.status, 303)
        XCTAssertTrue(r.header("Location")?.hasPrefix("/login") ?? false)
        XCTAssertNil(b.cookies["session"], "a forged cookie is cleared")

        let expiring = try TestServer(environment: ["GALLERY_SESSION_IDLE_SECONDS": "1"])
        let c = expiring.browser()
        try c.signUp("ivan")
        XCTAssertEqual(c.get("/gallery").status, 200)
        Thread.sleep(forTimeInterval: 1.2)
        XCTAssertEqual(c.get("/gallery").status, 303, "idle session expired")
    }

    func testLogoutDeletesTheSessionServerSide() throws {
        let b = server.browser()
        try b.signUp("judy")
        let token = try XCTUnwrap(b.cookies["session"])
        XCTAssertEqual(b.post("/logout", [], csrfFrom: "/gallery").status, 303)
        // Replaying the old cookie after logout gets nothing.
        let replay = server.browser()
        replay.cookies["session"] = token
        XCTAssertEqual(replay.get("/gallery").status, 303)
    }

    func testAbsentValuesRenderAsAbsent() throws {
        let b = server.browser()
        for path in ["/register", "/login", "/confirm", "/"] {
            let html = b.get(path).bodyText
            XCTAssertFalse(html.contains(">nil<") || html.contains("\"nil\""), "\(path) shows a nil")
            XCTAssertFalse(html.contains("class=\"error\""), "\(path) shows an empty error")
        }
        XCTAssertFalse(b.get("/").bodyText.contains("rel=\"next\""), "no next page when there is none")
    }

    func testOpenRedirectsAreRefused() {
        XCTAssertEqual(PageParts.safeNext("//evil.example"), "/gallery")
        XCTAssertEqual(PageParts.safeNext("https://evil.example"), "/gallery")
        XCTAssertEqual(PageParts.safeNext("/\\evil.example"), "/gallery")
        XCTAssertEqual(PageParts.safeNext("/images/abc"), "/images/abc")
    }
}
