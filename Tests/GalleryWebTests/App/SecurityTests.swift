import Foundation
import GalleryCore
import GalleryHTTP
import GalleryUseCases
import GalleryTestSupport
import XCTest
@testable import GalleryWeb

/// The defects of issue 14 that the pages show, in-process on SQLite: redirects, sessions
/// after a password change, throttled log-in and resend, weak passwords, what a public album
/// tells of its private photos, and how long caches may keep a public photo.
final class SecurityTests: XCTestCase {
    var server: TestServer!
    let password = "correct horse battery"

    override func setUpWithError() throws {
        setenv("GALLERY_ARGON2_MEMORY_KIB", "8192", 1)
        server = try TestServer(environment: ["GALLERY_QUOTA_IMAGES": "6"])
    }

    // MARK: Redirects (defect 5)

    func testNextNeverLeavesTheSite() throws {
        for hostile in ["/\t/evil.example/phish", "/\n/evil.example", "/\r/evil.example", "/ /evil.example",
                        "//evil.example", "/\\evil.example", "\\/evil.example", "https://evil.example", "/\u{0B}/evil.example",
                        "/\u{0C}/evil.example", "/\u{00A0}/evil.example", "/\u{2028}/evil.example", "evil.example", ""] {
            XCTAssertEqual(PageParts.safeNext(hostile), "/gallery", hostile.debugDescription)
        }
        for local in ["/gallery", "/albums/0123?cursor=a%2Fb", "/images/abc#x", "/search?q=caf%C3%A9"] {
            XCTAssertEqual(PageParts.safeNext(local), local)
        }
        try server.browser().signUp("nina")
        let b = server.browser()
        XCTAssertFalse(b.get("/login?next=%2F%09%2Fevil.example%2Fphish").bodyText.contains("evil.example"),
                       "the form does not carry the hostile next")
        let login = b.post("/login", [("username", "nina"), ("password", password), ("next", "/\t/evil.example/phish")],
                           csrfFrom: "/login")
        XCTAssertEqual(login.status, 303)
        XCTAssertEqual(login.header("Location"), "/gallery")
    }

    // MARK: Sessions (defect 3)

    func testPasswordChangeEndsEveryOtherSession() throws {
        let laptop = server.browser()
        laptop.userAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
        try laptop.signUp("olga")
        let phone = server.browser()
        phone.userAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1"
        XCTAssertEqual(phone.post("/login", [("username", "olga"), ("password", password)], csrfFrom: "/login").status, 303)

        let profile = laptop.get("/profile").bodyText
        XCTAssertTrue(profile.contains("Firefox on Linux"), "the session list names the devices")
        XCTAssertTrue(profile.contains("Safari on iPhone"))
        XCTAssertTrue(profile.contains("Sign out of all other devices"))

        let change = laptop.post("/profile/password", [("old", password), ("new", "violet tram sings"),
                                                       ("new2", "violet tram sings")], csrfFrom: "/profile")
        XCTAssertEqual(change.status, 303, change.bodyText)
        XCTAssertEqual(laptop.get("/gallery").status, 200, "the session it was changed in stays")
        XCTAssertEqual(phone.get("/gallery").status, 303, "every other session ended")
        XCTAssertFalse(laptop.get("/profile").bodyText.contains("Safari on iPhone"))
    }

    func testSignOutOfAllOtherDevices() throws {
        let a = server.browser()
        try a.signUp("pia")
        let b = server.browser()
        b.post("/login", [("username", "pia"), ("password", password)], csrfFrom: "/login")
        XCTAssertEqual(b.get("/gallery").status, 200)
        XCTAssertEqual(a.post("/profile/sessions/end", [], csrfFrom: "/profile").status, 303)
        XCTAssertEqual(b.get("/gallery").status, 303, "the other device is signed out")
        XCTAssertEqual(a.get("/gallery").status, 200, "this one is not")
        XCTAssertEqual(server.browser().post("/profile/sessions/end", [], csrfFrom: "/login").status, 403, "needs a session")
    }

    // MARK: Throttles (defects 1 and 4)

    func testLogInIsThrottledButNotForTheOwnersBrowser() throws {
        let owner = server.browser()
        try owner.signUp("quinn")
        let attacker = server.browser()
        attacker.remoteAddress = "203.0.113.66"
        let budget = try XCTUnwrap(Throttles.perAccount(.logIn)).attempts
        var statuses: [Int] = []
        for _ in 0..<(budget + 5) {
            statuses.append(attacker.post("/login", [("username", "quinn"), ("password", "not the password")],
                                          csrfFrom: "/login").status)
        }
        XCTAssertEqual(statuses.prefix(budget - 1).filter { $0 != 401 }.count, 0, "\(statuses)")
        XCTAssertEqual(statuses.last, 429, "\(statuses)")
        let page = attacker.post("/login", [("username", "quinn"), ("password", password)], csrfFrom: "/login")
        XCTAssertEqual(page.status, 429, "the right password is not even tried")
        XCTAssertTrue(page.bodyText.contains("too many attempts"))
        let stranger = server.browser()
        stranger.remoteAddress = "198.51.100.5"
        XCTAssertEqual(stranger.post("/login", [("username", "quinn"), ("password", password)], csrfFrom: "/login").status,
                       429, "the account's budget holds from any address")
        // The owner's browser logged in before: the lock-out does not apply to it.
        owner.post("/logout", [], csrfFrom: "/gallery")
        XCTAssertEqual(owner.post("/login", [("username", "quinn"), ("password", password)], csrfFrom: "/login").status, 303)
    }

    func testResendIsThrottledAndKeepsTheGuessCount() throws {
        let b = server.browser()
        b.post("/register", [("username", "rosa"), ("email", "rosa@example.com"), ("password", password),
                             ("password2", password)], csrfFrom: "/register")
        let budget = try XCTUnwrap(Throttles.perAccount(.resend)).attempts
        var statuses: [Int] = []
        for _ in 0..<(budget + 3) {
            statuses.append(b.post("/confirm/resend", [("username", "rosa")], csrfFrom: "/confirm").status)
        }
        XCTAssertEqual(Array(statuses.prefix(budget)), Array(repeating: 200, count: budget))
        XCTAssertEqual(Set(statuses.dropFirst(budget)), [429])
        let mails = try FileManager.default.contentsOfDirectory(atPath: server.config.outboxDirectory.path)
            .filter { $0.hasSuffix(".eml") }
        XCTAssertEqual(mails.count, 1 + budget, "one code at sign-up and one per allowed resend")
    }

    // MARK: Passwords (defect 2)

    func testWeakPasswordsAreRefusedWithAMessage() throws {
        for weak in ["1234567890", "aaaaaaaaaa", "password12", "sam-the-man"] {
            let b = server.browser()
            let r = b.post("/register", [("username", "sam-the-man"), ("email", "sam@example.com"), ("password", weak),
                                         ("password2", weak)], csrfFrom: "/register")
            XCTAssertEqual(r.status, 422, weak)
            XCTAssertTrue(r.bodyText.contains("password"), weak)
        }
        let b = server.browser()
        try b.signUp("tara")
        let r = b.post("/profile/password", [("old", password), ("new", "password12"), ("new2", "password12")],
                       csrfFrom: "/profile")
        XCTAssertEqual(r.status, 422)
        XCTAssertTrue(r.bodyText.contains("too easy to guess"), r.bodyText)
        XCTAssertEqual(server.browser().post("/login", [("username", "tara"), ("password", password)],
                                             csrfFrom: "/login").status, 303, "the old password still works")
    }

    // MARK: Albums (defect 6)

    func testPublicAlbumShowsNothingOfItsPrivatePhotos() throws {
        let alice = server.browser()
        try alice.signUp("alice")
        let pub = try upload(alice, "Landscape_1.jpg", visibility: "public")
        let priv = try upload(alice, "Landscape_2.jpg", visibility: "private")
        for id in [pub, priv] { try markReady(id) }
        alice.post("/albums", [("title", "Trip"), ("visibility", "public")], csrfFrom: "/albums")
        let albumID = try XCTUnwrap(firstMatch(#"/albums/([0-9a-f]{32})""#, in: alice.get("/albums").bodyText))
        XCTAssertEqual(alice.post("/gallery/bulk", [("action", "add"), ("album", albumID), ("image", pub), ("image", priv)],
                                  csrfFrom: "/gallery").status, 303)
        XCTAssertEqual(alice.post("/albums/\(albumID)/cover", [("image", priv)], csrfFrom: "/albums/\(albumID)").status, 303)
        XCTAssertTrue(alice.get("/albums").bodyText.contains("/media/\(priv)/thumb.webp"), "the owner sees the cover")
        XCTAssertTrue(alice.get("/albums/\(albumID)").bodyText.contains("2 photos"))

        let visitor = server.browser()
        let person = visitor.get("/u/alice").bodyText
        XCTAssertFalse(person.contains(priv), "no private cover on the public page")
        XCTAssertFalse(person.contains("2 photos"))
        let album = visitor.get("/albums/\(albumID)").bodyText
        XCTAssertFalse(album.contains(priv))
        XCTAssertFalse(album.contains("2 photos"), "no count of what the visitor cannot see")
        XCTAssertTrue(album.contains("1 photo"), "the count of what they can see")
    }

    // MARK: Caches (defect 9)

    func testPublicPhotosAreKeptBrieflyBySharedCaches() throws {
        let alice = server.browser()
        try alice.signUp("uma")
        let id = try upload(alice, "Landscape_1.jpg", visibility: "public")
        try markReady(id)
        let thumb = server.browser().get("/media/\(id)/thumb.webp")
        XCTAssertEqual(thumb.status, 200)
        let cache = try XCTUnwrap(thumb.header("Cache-Control"))
        XCTAssertFalse(cache.contains("immutable"), cache)
        XCTAssertTrue(cache.contains("s-maxage=\(Media.sharedCacheSeconds)"), cache)
        XCTAssertLessThanOrEqual(Media.sharedCacheSeconds, 60)
        let priv = try upload(alice, "Landscape_2.jpg", visibility: "private")
        try markReady(priv)
        XCTAssertTrue(try XCTUnwrap(alice.get("/media/\(priv)/thumb.webp").header("Cache-Control")).hasPrefix("private"))
    }

    // MARK: Helpers

    func upload(_ browser: Browser, _ name: String, visibility: String) throws -> String {
        let data = try Fixtures.bytes("orientation/\(name)")
        let before = Set(ids(browser))
        XCTAssertEqual(browser.upload([(name, data)], visibility: visibility).status, 303)
        return try XCTUnwrap(Set(ids(browser)).subtracting(before).first)
    }

    func ids(_ browser: Browser) -> [String] {
        let html = browser.get("/gallery").bodyText
        let regex = try! NSRegularExpression(pattern: #"/images/([0-9a-f]{32})""#)
        return regex.matches(in: html, range: NSRange(html.startIndex..., in: html))
            .map { String(html[Range($0.range(at: 1), in: html)!]) }
    }

    func markReady(_ id: String) throws {
        try server.services.metadata.markImageReady(id: id, derivatives: ImageDerivatives(
            thumbnail: Derivative(key: "thumbs/\(id).webp", width: 320, height: 240, byteSize: 1),
            preview: Derivative(key: "previews/\(id).webp", width: 1280, height: 960, byteSize: 1),
            metadata: nil, originalForOthers: .original))
    }

    func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let m = try? NSRegularExpression(pattern: pattern).firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let r = Range(m.range(at: 1), in: text) else { return nil }
        return String(text[r])
    }
}
