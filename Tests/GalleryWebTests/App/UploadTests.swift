import Foundation
import GalleryCore
import XCTest
import GalleryHTTP
@testable import GalleryWeb

/// Uploads through the app in-process with real photos, and every kind of bad upload.
final class UploadTests: XCTestCase {
    var server: TestServer!
    var alice: Browser!

    override func setUpWithError() throws {
        setenv("GALLERY_ARGON2_MEMORY_KIB", "8192", 1)
        server = try TestServer(environment: ["GALLERY_MAX_UPLOAD_BYTES": "1000000"])
        alice = server.browser()
        try alice.signUp("alice")
    }

    func photo(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TestServer.testdata.appendingPathComponent(path)))
    }

    func testPhotosAreStoredRecordedAndQueued() throws {
        let jpeg = try photo("orientation/Landscape_6.jpg")
        let png = try photo("photos/formats/density_plot.png")
        let r = alice.upload([("holiday.jpg", jpeg), ("plot.png", png)])
        XCTAssertEqual(r.status, 303, r.bodyText)
        let owner = try XCTUnwrap(server.services.metadata.profile(username: "alice"))
        let images = try server.services.metadata.images(ownerID: owner.userID, cursor: nil, limit: 10).items
        XCTAssertEqual(images.count, 2)
        XCTAssertEqual(Set(images.map(\.format)), [.jpeg, .png])
        XCTAssertTrue(images.allSatisfy { $0.status == .processing })
        let jpegRecord = try XCTUnwrap(images.first { $0.format == .jpeg })
        XCTAssertEqual(jpegRecord.byteSize, jpeg.count)
        XCTAssertEqual(jpegRecord.originalFilename, "holiday.jpg")
        XCTAssertFalse(jpegRecord.originalKey.contains("holiday"), "storage keys never come from the file name")
        XCTAssertEqual(try server.services.jobs.depth(now: Date()).queued, 2)
        XCTAssertEqual(server.storedFiles().count, 2, "two originals, no temp files: \(server.storedFiles())")
        XCTAssertTrue(alice.get("/gallery").bodyText.contains("Processing"))
    }

    func assertNothingStored(file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(server.storedFiles(), [], file: file, line: line)
        let owner = try XCTUnwrap(server.services.metadata.profile(username: "alice"))
        XCTAssertEqual(try server.services.metadata.images(ownerID: owner.userID, cursor: nil, limit: 10).items.count, 0,
                       file: file, line: line)
        XCTAssertEqual(try server.services.jobs.depth(now: Date()).queued, 0, file: file, line: line)
    }

    func testHTMLNamedPNGIsRefused() throws {
        let r = alice.upload([("cat.png", Array("<!doctype html><script>alert(1)</script>".utf8))])
        XCTAssertEqual(r.status, 422)
        XCTAssertTrue(r.bodyText.contains("cat.png"))
        try assertNothingStored()
    }

    func testOneBadFileRefusesTheWholeUpload() throws {
        let r = alice.upload([("good.jpg", try photo("orientation/Landscape_1.jpg")), ("bad.gif", Array("GIF89a".utf8))])
        XCTAssertEqual(r.status, 422)
        try assertNothingStored()
    }

    func testPixelBombIsRefusedFromItsHeader() throws {
        // A valid PNG signature and IHDR claiming 100 000 × 100 000 pixels; no pixel data needed.
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
        png += Array("IHDR".utf8)
        png += [0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0, 8, 2, 0, 0, 0]
        png += [0, 0, 0, 0]  // CRC (not checked by a header reader)
        let r = alice.upload([("bomb.png", png)])
        XCTAssertEqual(r.status, 422)
        XCTAssertTrue(r.bodyText.contains("megapixels"), r.bodyText)
        try assertNothingStored()
    }

    func testTruncatedMultipartIsABadRequest() throws {
        let r = alice.upload([("a.jpg", try photo("orientation/Landscape_1.jpg"))], truncateBy: 5000)
        XCTAssertEqual(r.status, 400)
        try assertNothingStored()
    }

    func testTooLargeFileIs413() throws {
        let big = try photo("photos/albums/text/" + (try FileManager.default.contentsOfDirectory(
            atPath: TestServer.testdata.appendingPathComponent("photos/albums/text").path).sorted().first { $0.lowercased().hasSuffix(".jpg") }!))
        XCTAssertGreaterThan(big.count, 1_000_000)
        let r = alice.upload([("big.jpg", big)])
        XCTAssertEqual(r.status, 413)
        try assertNothingStored()
    }

    func testUploadWithoutCSRFIsRefusedAndLeavesNothing() throws {
        let r = alice.upload([("a.jpg", try photo("orientation/Landscape_1.jpg"))], csrf: "nope")
        XCTAssertEqual(r.status, 403)
        try assertNothingStored()
    }

    func testUploadWhenSignedOutIsRefused() throws {
        let visitor = server.browser()
        let r = visitor.upload([("a.jpg", try photo("orientation/Landscape_1.jpg"))], csrf: visitor.csrf(from: "/login"))
        XCTAssertEqual(r.status, 403)
        XCTAssertEqual(server.storedFiles(), [])
    }

    func testOverlongFieldIsRefused() throws {
        let token = alice.csrf(from: "/upload")
        let body = Browser.multipart(fields: [("csrf", token), ("visibility", String(repeating: "x", count: 100_000))], files: [])
        let r = alice.request("POST", "/upload", body: body, contentType: "multipart/form-data; boundary=\(Browser.boundary)")
        XCTAssertEqual(r.status, 413)
        let form = alice.post("/profile", [("displayName", String(repeating: "y", count: 100_000))], csrfFrom: "/profile")
        XCTAssertEqual(form.status, 413)
    }

    func testAnotherUsersPrivateImageIsNotFound() throws {
        XCTAssertEqual(alice.upload([("secret.jpg", try photo("orientation/Landscape_1.jpg"))], visibility: "private").status, 303)
        let owner = try XCTUnwrap(server.services.metadata.profile(username: "alice"))
        let image = try XCTUnwrap(server.services.metadata.images(ownerID: owner.userID, cursor: nil, limit: 1).items.first)
        XCTAssertEqual(alice.get("/images/\(image.id)").status, 200)
        XCTAssertEqual(alice.get("/media/\(image.id)/original").status, 200)

        let mallory = server.browser()
        try mallory.signUp("mallory")
        for path in ["/images/\(image.id)", "/media/\(image.id)/original", "/media/\(image.id)/thumb.webp"] {
            XCTAssertEqual(mallory.get(path).status, 404, path)
            XCTAssertEqual(server.browser().get(path).status, 404, path)
        }
        XCTAssertEqual(mallory.post("/images/\(image.id)/delete", [], csrfFrom: "/gallery").status, 404)
        XCTAssertNotNil(try server.services.metadata.image(id: image.id), "not deleted by another user")
        XCTAssertFalse(server.browser().get("/").bodyText.contains(image.id), "private images stay out of the feed")
    }

    func testOriginalIsHandedToNginxAsAnAttachment() throws {
        XCTAssertEqual(alice.upload([("My Holiday <1>.jpg", try photo("orientation/Landscape_1.jpg"))]).status, 303)
        let owner = try XCTUnwrap(server.services.metadata.profile(username: "alice"))
        let image = try XCTUnwrap(server.services.metadata.images(ownerID: owner.userID, cursor: nil, limit: 1).items.first)
        let r = alice.get("/media/\(image.id)/original")
        XCTAssertEqual(r.header("X-Accel-Redirect"), "/_blobs/" + image.originalKey)
        XCTAssertEqual(r.header("Content-Type"), "image/jpeg")
        XCTAssertEqual(r.header("Content-Disposition"), "attachment; filename=\"My_Holiday__1_.jpg\"")
        XCTAssertTrue(r.body.isEmpty, "the responder never copies image bytes itself")
        // The page escapes the file name.
        let page = alice.get("/images/\(image.id)").bodyText
        XCTAssertTrue(page.contains("My Holiday &lt;1&gt;.jpg"))
        XCTAssertFalse(page.contains("<1>"))
    }

    func testUnknownRoutesAndMalformedIdsAre404() {
        for path in ["/nope", "/images/../../etc/passwd", "/images/ZZZ", "/media/abc/thumb.webp"] {
            XCTAssertEqual(alice.get(path).status, 404, path)
        }
        XCTAssertEqual(alice.request("DELETE", "/gallery").status, 405)
    }
}
