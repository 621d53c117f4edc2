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

    /// Everything, a page at a time, in byte order of the keys ("a-b" < "a/" < "ab"), with
    /// sizes and write times; a deleted blob is gone from the list.
    public func testListPagesInKeyOrder() throws {
        let before = Date().addingTimeInterval(-2)  // S3 keeps whole seconds
        let keys = ["originals/ab/c.jpg", "originals/a-b/x.jpg", "originals/a/x.jpg", "originals/ab.jpg",
                    "originals/a/y.jpg", "thumbs/x.webp", "previews/x.webp", "originals/a/b/deep.png"]
        for (index, key) in keys.enumerated() {
            try store.put(key: key, data: Data(repeating: 7, count: index + 1), contentType: "image/jpeg")
        }
        let after = Date().addingTimeInterval(2)
        var listed: [BlobInfo] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try store.list(prefix: "", cursor: cursor, limit: 3)
            XCTAssertLessThanOrEqual(page.items.count, 3)
            listed += page.items
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 10
        XCTAssertEqual(listed.map(\.key), keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        XCTAssertEqual(pages, 3)
        for info in listed {
            XCTAssertEqual(info.byteSize, Int64(keys.firstIndex(of: info.key)! + 1), info.key)
            XCTAssertTrue(info.modifiedAt >= before && info.modifiedAt <= after, "\(info.key): \(info.modifiedAt)")
        }
        let exact = try store.list(prefix: "", cursor: nil, limit: keys.count)
        XCTAssertEqual(exact.items.count, keys.count)
        XCTAssertNil(exact.next, "a page that ends the list says so")

        try store.delete(keys: ["originals/a/x.jpg"])
        XCTAssertFalse(try store.list(prefix: "originals/", cursor: nil, limit: 100).items.contains { $0.key == "originals/a/x.jpg" })
    }

    /// A prefix is a plain string prefix of keys, whole segments or not.
    public func testListByPrefix() throws {
        for key in ["originals/ab/one.jpg", "originals/ab/two.jpg", "originals/abc/three.jpg", "originals/b/four.jpg",
                    "thumbs/one.webp", "previews/one.webp"] {
            try store.put(key: key, data: Data([1]), contentType: "image/jpeg")
        }
        func keys(_ prefix: String, limit: Int = 100) throws -> [String] {
            var all: [String] = []
            var cursor: String?
            repeat {
                let page = try store.list(prefix: prefix, cursor: cursor, limit: limit)
                all += page.items.map(\.key)
                cursor = page.next
            } while cursor != nil && all.count < 100
            return all
        }
        XCTAssertEqual(try keys("originals/"), ["originals/ab/one.jpg", "originals/ab/two.jpg", "originals/abc/three.jpg",
                                                "originals/b/four.jpg"])
        XCTAssertEqual(try keys("originals/ab", limit: 1), ["originals/ab/one.jpg", "originals/ab/two.jpg", "originals/abc/three.jpg"])
        XCTAssertEqual(try keys("originals/ab/t"), ["originals/ab/two.jpg"])
        XCTAssertEqual(try keys("thumbs/"), ["thumbs/one.webp"])
        XCTAssertEqual(try keys("th"), ["thumbs/one.webp"])
        XCTAssertEqual(try keys("originals/ab/one.jpg"), ["originals/ab/one.jpg"])
        let none = try store.list(prefix: "avatars/", cursor: nil, limit: 10)
        XCTAssertEqual(none.items, [])
        XCTAssertNil(none.next)
    }

    public func testListRefusesBadArguments() throws {
        for limit in [0, -1, 1001] {
            assertThrows(.invalid(""), "limit \(limit)") { try store.list(prefix: "", cursor: nil, limit: limit) }
        }
        for prefix in ["../", "/etc/", "a//", "Upper/", "originals/.", "a b"] {
            assertThrows(.invalid(""), "prefix \(prefix.debugDescription)") { try store.list(prefix: prefix, cursor: nil, limit: 10) }
        }
    }

    /// Keys come from the application; anything else is refused, never cleaned up.
    /// The clean-up of interrupted writes never takes a stored blob, however old.
    public func testAbandonedWritesNeverIncludeBlobs() throws {
        let keys = ["originals/ab/kept.jpg", "thumbs/kept.webp"]
        for key in keys { try store.put(key: key, data: Data("x".utf8), contentType: "image/jpeg") }
        let future = Date().addingTimeInterval(3600)
        for name in try store.removeAbandonedWrites(startedBefore: future, dryRun: true) {
            XCTAssertFalse(keys.contains(name), name)
        }
        _ = try store.removeAbandonedWrites(startedBefore: future, dryRun: false)
        XCTAssertEqual(try store.list(prefix: "", cursor: nil, limit: 100).items.map(\.key).sorted(), keys.sorted())
    }

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
