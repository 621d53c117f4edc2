import Foundation
import GalleryCore
import XCTest

/// What every `BlobStore` must do. Give it a new, empty store and a scratch directory per test.
public final class BlobStoreConformance {
    public static let sourceFile = #filePath
    let store: BlobStore
    let scratch: URL

    public init(store: BlobStore, scratch: URL) {
        self.store = store
        self.scratch = scratch
    }

    /// A real camera photo, larger than any copy buffer, survives a round trip byte for byte.
    public func testPutFileAndDownload() throws {
        let photo = testDataDirectory().appendingPathComponent("photos/albums/text/craft-beer.jpg")
        let original = try Data(contentsOf: photo)
        let key = "originals/cr/craft-beer-0001.jpg"
        try store.put(key: key, file: photo, contentType: "image/jpeg")
        let copy = scratch.appendingPathComponent("download.jpg")
        try store.download(key: key, to: copy)
        XCTAssertEqual(try Data(contentsOf: copy), original)
    }

    public func testPutDataReplaces() throws {
        let key = "thumbs/ab/abcdef.webp"
        try store.put(key: key, data: Data("first version".utf8), contentType: "image/webp")
        try store.put(key: key, data: Data("second".utf8), contentType: "image/webp")
        let copy = scratch.appendingPathComponent("thumb.webp")
        try store.download(key: key, to: copy)
        XCTAssertEqual(try Data(contentsOf: copy), Data("second".utf8))

        try store.put(key: "empty/blob.bin", data: Data(), contentType: "application/octet-stream")
        try store.download(key: "empty/blob.bin", to: copy)
        XCTAssertEqual(try Data(contentsOf: copy), Data())
    }

    public func testDownloadMissing() throws {
        assertThrows(.notFound) {
            try store.download(key: "originals/no/such-blob.jpg", to: scratch.appendingPathComponent("x"))
        }
    }

    public func testDeleteIgnoresMissing() throws {
        try store.put(key: "previews/a/one.webp", data: Data([1, 2, 3]), contentType: "image/webp")
        try store.put(key: "previews/a/two.webp", data: Data([4]), contentType: "image/webp")
        try store.delete(keys: ["previews/a/one.webp", "previews/a/never-existed.webp"])
        assertThrows(.notFound) { try store.download(key: "previews/a/one.webp", to: scratch.appendingPathComponent("x")) }
        try store.download(key: "previews/a/two.webp", to: scratch.appendingPathComponent("y"))
        try store.delete(keys: [])
        try store.delete(keys: ["previews/a/one.webp"])
    }

    public func testDelivery() throws {
        let key = "previews/de/delivery-1.webp"
        try store.put(key: key, data: Data([1]), contentType: "image/webp")
        switch try store.delivery(key: key, contentType: "image/webp", downloadName: nil) {
        case .accelRedirect(let path):
            XCTAssertTrue(path.hasPrefix("/") && path.hasSuffix(key), path)
        case .redirect(let url):
            XCTAssertTrue(url.contains(key), url)
        }
    }

    /// Keys come from the application; anything else is refused, never cleaned up.
    public func testInvalidKeysAreRefused() throws {
        let bad = ["", "/etc/passwd", "../outside.jpg", "a/../../b.jpg", "a/./b.jpg", "..", "a//b.jpg",
                   "trailing/", "Upper/Case.JPG", "space here.jpg", "back\\slash", "null\u{0}byte",
                   "caf\u{e9}.jpg", "a/.hidden", "new\nline"]
        let target = scratch.appendingPathComponent("x")
        for key in bad {
            assertThrows(.invalid(""), "put data \(key.debugDescription)") {
                try store.put(key: key, data: Data([1]), contentType: "image/jpeg")
            }
            assertThrows(.invalid(""), "download \(key.debugDescription)") { try store.download(key: key, to: target) }
            assertThrows(.invalid(""), "delete \(key.debugDescription)") { try store.delete(keys: [key]) }
            assertThrows(.invalid(""), "delivery \(key.debugDescription)") {
                try store.delivery(key: key, contentType: "image/jpeg", downloadName: nil)
            }
        }
        assertThrows(.invalid(""), "one bad key refuses the whole delete") {
            try store.delete(keys: ["ok/key.jpg", "../bad"])
        }
    }
}
