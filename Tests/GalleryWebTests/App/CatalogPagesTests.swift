import Foundation
import GalleryCore
import GalleryCrypto
import XCTest
import GalleryHTTP
@testable import GalleryWeb

/// Albums, details, tags, search, sharing, profiles, account removal, encrypted uploads,
/// duplicates and quotas, through the pages in-process on SQLite.
final class CatalogPagesTests: XCTestCase {
    var server: TestServer!
    var alice: Browser!

    override func setUpWithError() throws {
        setenv("GALLERY_ARGON2_MEMORY_KIB", "8192", 1)
        server = try TestServer(environment: ["GALLERY_QUOTA_IMAGES": "6"])
        alice = server.browser()
        try alice.signUp("alice")
    }

    func photo(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TestServer.testdata.appendingPathComponent("orientation/\(name)")))
    }

    /// Uploads one photo and returns its id.
    func upload(_ browser: Browser, _ name: String, visibility: String = "public") throws -> String {
        let before = Set(try ids(of: browser))
        let r = browser.upload([(name, try photo(name))], visibility: visibility)
        XCTAssertEqual(r.status, 303, r.bodyText)
        return try XCTUnwrap(Set(try ids(of: browser)).subtracting(before).first)
    }

    func ids(of browser: Browser) throws -> [String] {
        let html = browser.get("/gallery").bodyText
        let regex = try NSRegularExpression(pattern: #"/images/([0-9a-f]{32})""#)
        var seen: [String] = []
        for m in regex.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let id = String(html[Range(m.range(at: 1), in: html)!])
            if !seen.contains(id) { seen.append(id) }  // each tile links its page twice
        }
        return seen
    }

    /// What a worker would record (no worker runs in these tests). Others get an original
    /// only once the worker has looked for a position in it.
    func markReady(_ id: String, forOthers: OriginalForOthers? = .original, metadata: PhotoMetadata? = nil) throws {
        try server.services.metadata.markImageReady(id: id, derivatives: ImageDerivatives(
            thumbnail: Derivative(key: "thumbs/\(id).webp", width: 320, height: 240, byteSize: 1),
            preview: Derivative(key: "previews/\(id).webp", width: 1280, height: 960, byteSize: 1),
            metadata: metadata, originalForOthers: forOthers))
    }

    func edit(_ browser: Browser, _ id: String, title: String = "", description: String = "", tags: String = "",
              visibility: String = "public") -> Response {
        browser.post("/images/\(id)/edit", [("title", title), ("description", description), ("tags", tags),
                                           ("visibility", visibility)], csrfFrom: "/images/\(id)")
    }

    func testDetailsAreEscapedAndTagsAreLinks() throws {
        let id = try upload(alice, "Landscape_1.jpg")
        XCTAssertEqual(edit(alice, id, title: "<script>alert(1)</script>", description: "a <b>bold</b> claim",
                            tags: "Beach, #sunset beach").status, 303)
        let page = alice.get("/images/\(id)").bodyText
        XCTAssertTrue(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertFalse(page.contains("<script>alert(1)"))
        XCTAssertFalse(page.contains("<b>bold</b>"))
        XCTAssertTrue(page.contains(#"href="/tags/beach""#) && page.contains(#"href="/tags/sunset""#))
        XCTAssertTrue(server.browser().get("/tags/beach").bodyText.contains(id))
        XCTAssertEqual(edit(alice, id, title: String(repeating: "x", count: 201)).status, 422)
        XCTAssertEqual(edit(alice, id, tags: "<b>").status, 422)
        XCTAssertEqual(edit(alice, id, tags: (1...31).map { "t\($0)" }.joined(separator: " ")).status, 422)
        let other = server.browser()
        try other.signUp("mallory")
        XCTAssertEqual(edit(other, id, title: "mine now").status, 404)
        XCTAssertEqual(other.post("/images/\(id)/edit", [("title", "mine now"), ("csrf", other.csrf(from: "/gallery"))]).status, 404)
    }

    func testSearchByWordsTagAndScope() throws {
        let a = try upload(alice, "Landscape_1.jpg")
        let b = try upload(alice, "Landscape_2.jpg", visibility: "private")
        XCTAssertEqual(edit(alice, a, title: "Harbour at dawn", tags: "sea").status, 303)
        XCTAssertEqual(edit(alice, b, title: "Harbour at night", tags: "sea", visibility: "private").status, 303)
        let everyone = server.browser().get("/search?q=harbour").bodyText
        XCTAssertTrue(everyone.contains(a))
        XCTAssertFalse(everyone.contains(b), "private photos never show in public search")
        let mine = alice.get("/search?q=harbour&scope=mine").bodyText
        XCTAssertTrue(mine.contains(a) && mine.contains(b))
        XCTAssertTrue(alice.get("/search?tag=sea&q=night&scope=mine").bodyText.contains(b))
        XCTAssertFalse(alice.get("/search?tag=sea&q=night&scope=mine").bodyText.contains(a))
        XCTAssertEqual(alice.get("/search?tag=%3Cscript%3E").status, 400)
        XCTAssertEqual(alice.get("/search?from=yesterday").status, 422)
    }

    func testAlbumsAuthorizationAndSharing() throws {
        let pub = try upload(alice, "Landscape_1.jpg")
        let priv = try upload(alice, "Landscape_2.jpg", visibility: "private")
        let unl = try upload(alice, "Landscape_3.jpg", visibility: "unlisted")
        XCTAssertEqual(alice.post("/albums", [("title", "Trip <2024>"), ("visibility", "private")], csrfFrom: "/albums").status, 303)
        let albumID = try XCTUnwrap(alice.get("/albums").bodyText.firstMatch(#"/albums/([0-9a-f]{32})""#))
        let add = alice.post("/gallery/bulk", [("action", "add"), ("album", albumID), ("image", pub), ("image", priv), ("image", unl)],
                             csrfFrom: "/gallery")
        XCTAssertEqual(add.status, 303)
        let ownerView = alice.get("/albums/\(albumID)").bodyText
        XCTAssertTrue(ownerView.contains("Trip &lt;2024&gt;") && ownerView.contains(priv))

        let visitor = server.browser()
        let mallory = server.browser()
        try mallory.signUp("mallory")
        XCTAssertEqual(visitor.get("/albums/\(albumID)").status, 404, "private album")
        XCTAssertEqual(mallory.get("/albums/\(albumID)").status, 404)
        XCTAssertEqual(mallory.post("/albums/\(albumID)/edit", [("title", "x")], csrfFrom: "/albums").status, 404)
        XCTAssertEqual(mallory.post("/albums/\(albumID)/delete", [("photos", "delete")], csrfFrom: "/albums").status, 404)
        // Another user cannot put their album on alice's photos, nor alice's photos in their album.
        XCTAssertEqual(mallory.post("/albums", [("title", "Mine")], csrfFrom: "/albums").status, 303)
        let malloryAlbum = try XCTUnwrap(mallory.get("/albums").bodyText.firstMatch(#"/albums/([0-9a-f]{32})""#))
        XCTAssertEqual(mallory.post("/gallery/bulk", [("action", "add"), ("album", malloryAlbum), ("image", pub)],
                                    csrfFrom: "/gallery").status, 404)
        XCTAssertEqual(mallory.post("/gallery/bulk", [("action", "add"), ("album", albumID), ("image", pub)],
                                    csrfFrom: "/gallery").status, 404)

        // Public album: visitors see its public photos only.
        XCTAssertEqual(alice.post("/albums/\(albumID)/edit", [("title", "Trip"), ("visibility", "public")],
                                  csrfFrom: "/albums/\(albumID)").status, 303)
        let publicView = visitor.get("/albums/\(albumID)").bodyText
        XCTAssertTrue(publicView.contains(pub))
        XCTAssertFalse(publicView.contains(priv))
        XCTAssertFalse(publicView.contains(unl))

        // Unlisted album: by its link, public and unlisted photos, through the link; revocable.
        XCTAssertEqual(alice.post("/albums/\(albumID)/share", [("action", "new")], csrfFrom: "/albums/\(albumID)").status, 303)
        let link = try XCTUnwrap(alice.get("/albums/\(albumID)").bodyText.firstMatch(#"href="(/a/[A-Za-z0-9_-]{32})""#))
        XCTAssertEqual(visitor.get("/albums/\(albumID)").status, 404, "unlisted: not by id")
        let shared = visitor.get(link).bodyText
        XCTAssertTrue(shared.contains(pub) && shared.contains(unl))
        XCTAssertFalse(shared.contains(priv))
        XCTAssertEqual(visitor.get("\(link)/images/\(unl)").status, 200)
        XCTAssertEqual(visitor.get("\(link)/images/\(priv)").status, 404)
        XCTAssertEqual(visitor.get("\(link)/images/\(unl)/original").status, 404, "not yet looked at for a position")
        try markReady(unl)
        XCTAssertEqual(visitor.get("\(link)/images/\(unl)/original").header("X-Accel-Redirect")?.hasPrefix("/_blobs/"), true)
        XCTAssertEqual(visitor.get("/images/\(unl)").status, 404, "unlisted photo: not without a link")
        XCTAssertEqual(alice.post("/albums/\(albumID)/share", [("action", "revoke")], csrfFrom: "/albums/\(albumID)").status, 303)
        XCTAssertEqual(visitor.get(link).status, 404)
        XCTAssertEqual(visitor.get("\(link)/images/\(unl)").status, 404)

        // Deleting the album: the page asks; keeping the photos keeps them.
        XCTAssertTrue(alice.get("/albums/\(albumID)/delete").bodyText.contains("value=\"keep\""))
        XCTAssertEqual(alice.post("/albums/\(albumID)/delete", [("photos", "keep")], csrfFrom: "/albums").status, 303)
        XCTAssertEqual(alice.get("/albums/\(albumID)").status, 404)
        XCTAssertEqual(alice.get("/images/\(pub)").status, 200)
    }

    func testDeletingAnAlbumWithItsPhotos() throws {
        let a = try upload(alice, "Landscape_1.jpg")
        let keep = try upload(alice, "Landscape_2.jpg")
        alice.post("/albums", [("title", "Gone")], csrfFrom: "/albums")
        let albumID = try XCTUnwrap(alice.get("/albums").bodyText.firstMatch(#"/albums/([0-9a-f]{32})""#))
        alice.post("/gallery/bulk", [("action", "add"), ("album", albumID), ("image", a)], csrfFrom: "/gallery")
        XCTAssertEqual(alice.post("/albums/\(albumID)/delete", [("photos", "delete")], csrfFrom: "/albums").status, 303)
        XCTAssertEqual(alice.get("/images/\(a)").status, 404)
        XCTAssertEqual(alice.get("/images/\(keep)").status, 200)
    }

    func testImageShareLinkAndRevocation() throws {
        let id = try upload(alice, "Landscape_1.jpg", visibility: "private")
        let visitor = server.browser()
        XCTAssertEqual(visitor.get("/images/\(id)").status, 404)
        XCTAssertEqual(alice.post("/images/\(id)/share", [("action", "new")], csrfFrom: "/images/\(id)").status, 303)
        let link = try XCTUnwrap(alice.get("/images/\(id)").bodyText.firstMatch(#"href="(/s/[A-Za-z0-9_-]{32})""#))
        XCTAssertEqual(visitor.get(link).status, 200)
        try markReady(id)
        XCTAssertEqual(visitor.get("\(link)/original").status, 200)
        XCTAssertFalse(server.browser().get("/").bodyText.contains(id), "unlisted is not in the feed")
        XCTAssertEqual(alice.post("/images/\(id)/share", [("action", "revoke")], csrfFrom: "/images/\(id)").status, 303)
        XCTAssertEqual(visitor.get(link).status, 404)
        XCTAssertEqual(visitor.get("\(link)/original").status, 404)
        XCTAssertEqual(visitor.get("/s/not-a-token").status, 404)
    }

    func testProfileDetailsPublicPageAndPassword() throws {
        _ = try upload(alice, "Landscape_1.jpg")
        let hidden = try upload(alice, "Landscape_2.jpg", visibility: "private")
        XCTAssertEqual(alice.post("/profile", [("displayName", "Alice A."), ("bio", "I take <em>photos</em>"),
                                               ("address", "1 Secret Lane"), ("phone", "+1 555 0100"),
                                               ("defaultVisibility", "private")], csrfFrom: "/profile").status, 303)
        let own = alice.get("/profile").bodyText
        XCTAssertTrue(own.contains("1 Secret Lane") && own.contains("+1 555 0100"))
        let publicPage = server.browser().get("/u/alice").bodyText
        XCTAssertTrue(publicPage.contains("Alice A.") && publicPage.contains("I take &lt;em&gt;photos&lt;/em&gt;"))
        XCTAssertFalse(publicPage.contains("Secret Lane") || publicPage.contains("555 0100"))
        XCTAssertFalse(publicPage.contains(hidden))
        XCTAssertEqual(server.browser().get("/u/nobody").status, 404)
        // The default visibility applies to new uploads.
        let next = try upload(alice, "Landscape_3.jpg", visibility: "")
        XCTAssertEqual(try server.services.metadata.image(id: next)?.visibility, .private)

        XCTAssertEqual(alice.post("/profile/password", [("old", "wrong password"), ("new", "a new password!"),
                                                        ("new2", "a new password!")], csrfFrom: "/profile").status, 403)
        XCTAssertEqual(alice.post("/profile/password", [("old", "correct horse battery"), ("new", "a new password!"),
                                                        ("new2", "a new password!")], csrfFrom: "/profile").status, 303)
        let again = server.browser()
        XCTAssertEqual(again.post("/login", [("username", "alice"), ("password", "correct horse battery")], csrfFrom: "/login").status, 401)
        XCTAssertEqual(again.post("/login", [("username", "alice"), ("password", "a new password!")], csrfFrom: "/login").status, 303)
    }

    /// The position is the owner's: shown to others and kept in originals others download
    /// only as the owner chooses on the profile page.
    func testPositionsFollowTheOwnersChoices() throws {
        let id = try upload(alice, "Landscape_1.jpg")
        let metadata = server.services.metadata
        let originalKey = try XCTUnwrap(metadata.image(id: id)?.originalKey)
        func ready(_ forOthers: OriginalForOthers?) throws {
            try markReady(id, forOthers: forOthers,
                          metadata: PhotoMetadata(cameraModel: "EOS R5", latitude: 39.115, longitude: -108.40097))
        }
        try ready(.copy(key: "stripped/\(id)", byteSize: 1))
        let visitor = server.browser()
        func originalPath(_ b: Browser) -> String? { b.get("/media/\(id)/original").header("X-Accel-Redirect") }

        // By default: the owner alone sees the position and gets the file as uploaded.
        let own = alice.get("/images/\(id)").bodyText
        XCTAssertTrue(own.contains("Position (only you see this)") && own.contains("39.11500, -108.40097"))
        XCTAssertEqual(originalPath(alice)?.hasSuffix(originalKey), true)
        var seen = visitor.get("/images/\(id)").bodyText
        XCTAssertTrue(seen.contains("EOS R5"))
        XCTAssertFalse(seen.contains("39.115") || seen.contains("openstreetmap"))
        XCTAssertTrue(seen.contains("Download original (without its position)"))
        XCTAssertEqual(originalPath(visitor)?.hasSuffix("stripped/\(id)"), true)

        // Shared: everyone who sees the photo sees where; originals still stripped.
        func choose(share: Bool, strip: Bool) -> Response {
            var fields = [("displayName", "Alice"), ("positionChoices", "1")]
            if share { fields.append(("sharePosition", "1")) }
            if strip { fields.append(("stripPositionForOthers", "1")) }
            return alice.post("/profile", fields, csrfFrom: "/profile")
        }
        XCTAssertEqual(choose(share: true, strip: true).status, 303)
        XCTAssertTrue(alice.get("/profile").bodyText.contains(#"name="sharePosition" value="1" checked"#))
        seen = visitor.get("/images/\(id)").bodyText
        XCTAssertTrue(seen.contains("39.11500, -108.40097") && seen.contains("https://www.openstreetmap.org/?mlat=39.11500&amp;mlon=-108.40097"))
        XCTAssertEqual(originalPath(visitor)?.hasSuffix("stripped/\(id)"), true)
        // A form without the boxes (an old tab) changes neither choice.
        XCTAssertEqual(alice.post("/profile", [("displayName", "Alice")], csrfFrom: "/profile").status, 303)
        XCTAssertEqual(try metadata.profile(username: "alice")?.sharePosition, true)
        XCTAssertEqual(try metadata.profile(username: "alice")?.stripPositionForOthers, true)
        XCTAssertEqual(alice.post("/profile", [("displayName", "Alice"), ("positionChoices", "1"), ("sharePosition", "yes")],
                                  csrfFrom: "/profile").status, 422)

        // Not stripped: others get the original.
        XCTAssertEqual(choose(share: false, strip: false).status, 303)
        XCTAssertFalse(visitor.get("/images/\(id)").bodyText.contains("39.115"))
        XCTAssertEqual(originalPath(visitor)?.hasSuffix(originalKey), true)

        // Stripped again, with metadata that could not be followed, or images processed before
        // stripping existed: others get no original at all, the owner still does.
        XCTAssertEqual(choose(share: false, strip: true).status, 303)
        for forOthers: OriginalForOthers? in [.withheld, nil] {
            try ready(forOthers)
            XCTAssertEqual(visitor.get("/media/\(id)/original").status, 404)
            XCTAssertFalse(visitor.get("/images/\(id)").bodyText.contains("Download original"))
            XCTAssertEqual(originalPath(alice)?.hasSuffix(originalKey), true)
        }
        try ready(.original)
        XCTAssertEqual(originalPath(visitor)?.hasSuffix(originalKey), true)
        XCTAssertTrue(visitor.get("/images/\(id)").bodyText.contains("Download original</a>"))
    }

    func testAccountRemovalHidesEverythingAtOnce() throws {
        let id = try upload(alice, "Landscape_1.jpg")
        alice.post("/albums", [("title", "Public album"), ("visibility", "public")], csrfFrom: "/albums")
        let albumID = try XCTUnwrap(alice.get("/albums").bodyText.firstMatch(#"/albums/([0-9a-f]{32})""#))
        XCTAssertEqual(alice.post("/account/delete", [("password", "wrong")], csrfFrom: "/account/delete").status, 403)
        XCTAssertEqual(alice.get("/gallery").status, 200, "a wrong password changes nothing")

        let secondSession = server.browser()
        XCTAssertEqual(secondSession.post("/login", [("username", "alice"), ("password", "correct horse battery")],
                                          csrfFrom: "/login").status, 303)
        XCTAssertEqual(alice.post("/account/delete", [("password", "correct horse battery")], csrfFrom: "/account/delete").status, 200)
        let visitor = server.browser()
        for path in ["/images/\(id)", "/media/\(id)/original", "/albums/\(albumID)", "/u/alice"] {
            XCTAssertEqual(visitor.get(path).status, 404, path)
        }
        XCTAssertFalse(visitor.get("/").bodyText.contains(id))
        XCTAssertEqual(secondSession.get("/gallery").status, 303, "every session ended")
        XCTAssertEqual(visitor.post("/login", [("username", "alice"), ("password", "correct horse battery")],
                                    csrfFrom: "/login").status, 401)
        XCTAssertNotNil(try server.services.jobs.jobs(status: .queued, cursor: nil, limit: 10).items
            .first { $0.kind == .deleteAccount })
    }

    func testEncryptedUploadKeyDecryptAndNeverPublic() throws {
        let bytes = try photo("Landscape_1.jpg")
        let token = alice.csrf(from: "/upload")
        let body = Browser.multipart(fields: [("csrf", token), ("visibility", "public"), ("encrypt", "1")],
                                     files: [("secret.jpg", bytes)])
        let r = alice.request("POST", "/upload", body: body, contentType: "multipart/form-data; boundary=\(Browser.boundary)")
        XCTAssertEqual(r.status, 200, r.bodyText)
        let key = try XCTUnwrap(r.bodyText.firstMatch(#"<code>([A-Za-z0-9_=-]{44})</code>"#))
        let id = try XCTUnwrap(r.bodyText.firstMatch(#"/images/([0-9a-f]{32})""#))
        let image = try XCTUnwrap(try server.services.metadata.image(id: id))
        XCTAssertTrue(image.encrypted)
        XCTAssertEqual(image.visibility, .private)
        XCTAssertEqual(try server.services.jobs.depth(now: Date()).queued, 0, "no thumbnail job")
        // What is stored is a Fernet token, not the photo.
        let stored = try Data(contentsOf: server.config.blobDirectory.appendingPathComponent(image.originalKey))
        XCTAssertNotEqual([UInt8](stored.prefix(3)), [0xFF, 0xD8, 0xFF])
        XCTAssertEqual(try Fernet.decrypt(String(decoding: stored, as: UTF8.self), key: key), bytes)
        XCTAssertFalse(server.storedFiles().contains { $0.hasPrefix(server.config.temporaryDirectory.path) },
                       "no plaintext left in temp files")

        XCTAssertEqual(alice.post("/images/\(id)/decrypt", [("key", Fernet.generateKey())], csrfFrom: "/images/\(id)").status, 400)
        let opened = alice.post("/images/\(id)/decrypt", [("key", key)], csrfFrom: "/images/\(id)")
        XCTAssertEqual(opened.status, 200)
        XCTAssertEqual(opened.body, bytes)
        XCTAssertEqual(opened.header("Content-Type"), "image/jpeg")
        let plain = try upload(alice, "Landscape_2.jpg")
        let onlyEncrypted = alice.get("/gallery?encrypted=1").bodyText
        XCTAssertTrue(onlyEncrypted.contains(id))
        XCTAssertFalse(onlyEncrypted.contains(plain))
        XCTAssertEqual(edit(alice, id, visibility: "public").status, 422)
        XCTAssertEqual(alice.post("/images/\(id)/share", [("action", "new")], csrfFrom: "/images/\(id)").status, 400)
        let other = server.browser()
        try other.signUp("mallory")
        XCTAssertEqual(other.post("/images/\(id)/decrypt", [("key", key)], csrfFrom: "/gallery").status, 404)
    }

    func testDuplicatesAreReportedNotStored() throws {
        let id = try upload(alice, "Landscape_1.jpg")
        let r = alice.upload([("again.jpg", try photo("Landscape_1.jpg")), ("new.jpg", try photo("Landscape_2.jpg")),
                              ("new-copy.jpg", try photo("Landscape_2.jpg"))])
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(r.bodyText.contains("/images/\(id)"), r.bodyText)
        XCTAssertEqual(try ids(of: alice).count, 2)
    }

    func testQuotaRefusesAClearly() throws {
        for name in ["Landscape_1.jpg", "Landscape_2.jpg", "Landscape_3.jpg", "Landscape_4.jpg", "Landscape_5.jpg"] {
            _ = try upload(alice, name)
        }
        let r = alice.upload([("a.jpg", try photo("Landscape_6.jpg")), ("b.jpg", try photo("Landscape_7.jpg"))])
        XCTAssertEqual(r.status, 413)
        XCTAssertTrue(r.bodyText.contains("6 photos"), r.bodyText)
        XCTAssertEqual(try ids(of: alice).count, 5)
    }
}

extension String {
    /// The first capture group of `pattern`, if it matches.
    func firstMatch(_ pattern: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let m = regex.firstMatch(in: self, range: NSRange(startIndex..., in: self)),
              let r = Range(m.range(at: 1), in: self) else { return nil }
        return String(self[r])
    }
}
