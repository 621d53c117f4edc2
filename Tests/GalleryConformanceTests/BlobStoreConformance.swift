import Foundation
import GalleryCore
import GalleryTestSupport
import Testing

/// What every `BlobStore` must do, each check run over every backend (`BlobBackend`): files
/// under a directory, and S3 on moto_server. Each test case gets a new, empty store and a
/// scratch directory.
@Suite(.serialized, .backends())
struct BlobStoreConformance {

    /// A real camera photo, larger than any copy buffer, survives a round trip byte for byte.
    @Test(arguments: BlobBackend.allCases)
    func putFileAndDownload(_ backend: BlobBackend) throws {
        let (store, scratch) = try backend.make()
        let photo = Fixtures.url("photos/albums/text/craft-beer.jpg")
        let original = try Data(contentsOf: photo)
        let key = "originals/cr/craft-beer-0001.jpg"
        try store.put(key: key, file: photo, contentType: "image/jpeg")
        let copy = scratch.appendingPathComponent("download.jpg")
        try store.download(key: key, to: copy)
        #expect(try Data(contentsOf: copy) == original)
    }

    @Test(arguments: BlobBackend.allCases)
    func putDataReplaces(_ backend: BlobBackend) throws {
        let (store, scratch) = try backend.make()
        let key = "thumbs/ab/abcdef.webp"
        try store.put(key: key, data: Data("first version".utf8), contentType: "image/webp")
        try store.put(key: key, data: Data("second".utf8), contentType: "image/webp")
        let copy = scratch.appendingPathComponent("thumb.webp")
        try store.download(key: key, to: copy)
        #expect(try Data(contentsOf: copy) == Data("second".utf8))

        try store.put(key: "empty/blob.bin", data: Data(), contentType: "application/octet-stream")
        try store.download(key: "empty/blob.bin", to: copy)
        #expect(try Data(contentsOf: copy) == Data())
    }

    @Test(arguments: BlobBackend.allCases)
    func downloadMissing(_ backend: BlobBackend) throws {
        let (store, scratch) = try backend.make()
        expectThrows(.notFound) {
            try store.download(key: "originals/no/such-blob.jpg", to: scratch.appendingPathComponent("x"))
        }
    }

    @Test(arguments: BlobBackend.allCases)
    func deleteIgnoresMissing(_ backend: BlobBackend) throws {
        let (store, scratch) = try backend.make()
        try store.put(key: "previews/a/one.webp", data: Data([1, 2, 3]), contentType: "image/webp")
        try store.put(key: "previews/a/two.webp", data: Data([4]), contentType: "image/webp")
        try store.delete(keys: ["previews/a/one.webp", "previews/a/never-existed.webp"])
        expectThrows(.notFound) { try store.download(key: "previews/a/one.webp", to: scratch.appendingPathComponent("x")) }
        try store.download(key: "previews/a/two.webp", to: scratch.appendingPathComponent("y"))
        try store.delete(keys: [])
        try store.delete(keys: ["previews/a/one.webp"])
    }

    @Test(arguments: BlobBackend.allCases)
    func delivery(_ backend: BlobBackend) throws {
        let (store, _) = try backend.make()
        let key = "previews/de/delivery-1.webp"
        try store.put(key: key, data: Data([1]), contentType: "image/webp")
        switch try store.delivery(key: key, contentType: "image/webp", downloadName: nil) {
        case .accelRedirect(let path):
            #expect(path.hasPrefix("/") && path.hasSuffix(key), "\(path)")
        case .redirect(let url):
            #expect(url.contains(key), "\(url)")
        }
    }

    /// Everything, a page at a time, in byte order of the keys ("a-b" < "a/" < "ab"), with
    /// sizes and write times; a deleted blob is gone from the list.
    @Test(arguments: BlobBackend.allCases)
    func listPagesInKeyOrder(_ backend: BlobBackend) throws {
        let (store, _) = try backend.make()
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
            #expect(page.items.count <= 3)
            listed += page.items
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 10
        #expect(listed.map(\.key) == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(pages == 3)
        for info in listed {
            #expect((info.byteSize) == (Int64(keys.firstIndex(of: info.key)! + 1)), "\(info.key)")
            #expect(info.modifiedAt >= before && info.modifiedAt <= after, "\(info.key): \(info.modifiedAt)")
        }
        let exact = try store.list(prefix: "", cursor: nil, limit: keys.count)
        #expect(exact.items.count == keys.count)
        #expect(exact.next == nil, "a page that ends the list says so")

        try store.delete(keys: ["originals/a/x.jpg"])
        #expect(!(try store.list(prefix: "originals/", cursor: nil, limit: 100).items.contains { $0.key == "originals/a/x.jpg" }))
    }

    /// A prefix is a plain string prefix of keys, whole segments or not.
    @Test(arguments: BlobBackend.allCases)
    func listByPrefix(_ backend: BlobBackend) throws {
        let (store, _) = try backend.make()
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
        #expect(try keys("originals/") == ["originals/ab/one.jpg", "originals/ab/two.jpg", "originals/abc/three.jpg",
                                                "originals/b/four.jpg"])
        #expect(try keys("originals/ab", limit: 1) == ["originals/ab/one.jpg", "originals/ab/two.jpg", "originals/abc/three.jpg"])
        #expect(try keys("originals/ab/t") == ["originals/ab/two.jpg"])
        #expect(try keys("thumbs/") == ["thumbs/one.webp"])
        #expect(try keys("th") == ["thumbs/one.webp"])
        #expect(try keys("originals/ab/one.jpg") == ["originals/ab/one.jpg"])
        let none = try store.list(prefix: "avatars/", cursor: nil, limit: 10)
        #expect(none.items == [])
        #expect(none.next == nil)
    }

    @Test(arguments: BlobBackend.allCases)
    func listRefusesBadArguments(_ backend: BlobBackend) throws {
        let (store, _) = try backend.make()
        for limit in [0, -1, 1001] {
            expectThrows(.invalid(""), "limit \(limit)") { try store.list(prefix: "", cursor: nil, limit: limit) }
        }
        for prefix in ["../", "/etc/", "a//", "Upper/", "originals/.", "a b"] {
            expectThrows(.invalid(""), "prefix \(prefix.debugDescription)") { try store.list(prefix: prefix, cursor: nil, limit: 10) }
        }
    }

    /// The clean-up of interrupted writes never takes a stored blob, however old.
    @Test(arguments: BlobBackend.allCases)
    func abandonedWritesNeverIncludeBlobs(_ backend: BlobBackend) throws {
        let (store, _) = try backend.make()
        let keys = ["originals/ab/kept.jpg", "thumbs/kept.webp"]
        for key in keys { try store.put(key: key, data: Data("x".utf8), contentType: "image/jpeg") }
        let future = Date().addingTimeInterval(3600)
        for name in try store.removeAbandonedWrites(startedBefore: future, dryRun: true) {
            #expect(!(keys.contains(name)), "\(name)")
        }
        _ = try store.removeAbandonedWrites(startedBefore: future, dryRun: false)
        #expect(try store.list(prefix: "", cursor: nil, limit: 100).items.map(\.key).sorted() == keys.sorted())
    }

    /// Keys come from the application; anything else is refused, never cleaned up.
    @Test(arguments: BlobBackend.allCases)
    func invalidKeysAreRefused(_ backend: BlobBackend) throws {
        let (store, scratch) = try backend.make()
        let bad = ["", "/etc/passwd", "../outside.jpg", "a/../../b.jpg", "a/./b.jpg", "..", "a//b.jpg",
                   "trailing/", "Upper/Case.JPG", "space here.jpg", "back\\slash", "null\u{0}byte",
                   "caf\u{e9}.jpg", "a/.hidden", "new\nline"]
        let target = scratch.appendingPathComponent("x")
        for key in bad {
            expectThrows(.invalid(""), "put data \(key.debugDescription)") {
                try store.put(key: key, data: Data([1]), contentType: "image/jpeg")
            }
            expectThrows(.invalid(""), "download \(key.debugDescription)") { try store.download(key: key, to: target) }
            expectThrows(.invalid(""), "delete \(key.debugDescription)") { try store.delete(keys: [key]) }
            expectThrows(.invalid(""), "delivery \(key.debugDescription)") {
                try store.delivery(key: key, contentType: "image/jpeg", downloadName: nil)
            }
        }
        expectThrows(.invalid(""), "one bad key refuses the whole delete") {
            try store.delete(keys: ["ok/key.jpg", "../bad"])
        }
    }
}
