import Foundation
import GalleryConformance
import GalleryCore
@testable import GalleryEmbedded
import XCTest

final class FileBlobStoreTests: XCTestCase {
    private var directory: URL!
    private var store: FileBlobStore!
    private var suite: BlobStoreConformance!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("gallery-blobs")
        store = try FileBlobStore(root: directory.appendingPathComponent("blobs"))
        let scratch = directory.appendingPathComponent("scratch")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        suite = BlobStoreConformance(store: store, scratch: scratch)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    func testEveryCheckIsWired() throws {
        try assertEveryCheckWired(suiteSource: BlobStoreConformance.sourceFile, testSource: #filePath)
    }

    func testPutFileAndDownload() throws { try suite.testPutFileAndDownload() }
    func testPutDataReplaces() throws { try suite.testPutDataReplaces() }
    func testDownloadMissing() throws { try suite.testDownloadMissing() }
    func testDeleteIgnoresMissing() throws { try suite.testDeleteIgnoresMissing() }
    func testDelivery() throws { try suite.testDelivery() }
    func testInvalidKeysAreRefused() throws { try suite.testInvalidKeysAreRefused() }
    func testListPagesInKeyOrder() throws { try suite.testListPagesInKeyOrder() }
    func testListByPrefix() throws { try suite.testListByPrefix() }
    func testListRefusesBadArguments() throws { try suite.testListRefusesBadArguments() }
    func testAbandonedWritesNeverIncludeBlobs() throws { try suite.testAbandonedWritesNeverIncludeBlobs() }

    /// nginx serves the file under the internal prefix; it reads it as another user.
    func testFilesLandUnderTheRootReadableByNginx() throws {
        let photo = testDataDirectory().appendingPathComponent("photos/albums/nature/prairie_falcon.jpg")
        try store.put(key: "originals/pr/prairie-falcon.jpg", file: photo, contentType: "image/jpeg")
        let path = directory.appendingPathComponent("blobs/originals/pr/prairie-falcon.jpg").path
        XCTAssertEqual(FileManager.default.contents(atPath: path), try Data(contentsOf: photo))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o644)
        XCTAssertEqual(try store.delivery(key: "originals/pr/prairie-falcon.jpg", contentType: "image/jpeg", downloadName: "falcon.jpg"),
                       .accelRedirect("/_blobs/originals/pr/prairie-falcon.jpg"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        XCTAssertEqual(leftovers, ["prairie-falcon.jpg"], "no temporary files remain")
    }

    /// A write in progress (its dot-named temporary file) and files no key could name are not
    /// blobs: the orphan sweep must never see, let alone delete, them.
    func testListSkipsWritesInProgressAndStrangers() throws {
        try store.put(key: "originals/ab/real.jpg", data: Data([1, 2]), contentType: "image/jpeg")
        let dir = directory.appendingPathComponent("blobs/originals/ab")
        for name in [".tmp-0B4E2C1A-writing", "Capital.JPG", "space name.jpg"] {
            try Data([9]).write(to: dir.appendingPathComponent(name))
        }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent(".hidden"), withIntermediateDirectories: true)
        try Data([9]).write(to: dir.appendingPathComponent(".hidden/inside.jpg"))
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link.jpg").path, withDestinationPath: "/etc/passwd")
        let page = try store.list(prefix: "", cursor: nil, limit: 100)
        XCTAssertEqual(page.items.map(\.key), ["originals/ab/real.jpg"])
        XCTAssertEqual(page.items.first?.byteSize, 2)
    }

    /// A failed put leaves neither a partial blob nor a temporary file behind.
    func testFailedPutLeavesNothing() throws {
        let missing = directory.appendingPathComponent("no-such-upload")
        assertThrows(.unavailable("")) { try store.put(key: "originals/x/y.jpg", file: missing, contentType: "image/jpeg") }
        // A directory as source: open succeeds, read fails with EISDIR after the temp file exists.
        assertThrows(.unavailable("")) { try store.put(key: "originals/x/z.jpg", file: directory, contentType: "image/jpeg") }
        let dir = directory.appendingPathComponent("blobs/originals/x").path
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [], [])
        assertThrows(.notFound) { try store.download(key: "originals/x/z.jpg", to: directory.appendingPathComponent("out")) }
    }

    func testCustomAccelPrefix() throws {
        let other = try FileBlobStore(root: directory.appendingPathComponent("b2"), accelPrefix: "/internal/blobs")
        XCTAssertEqual(try other.delivery(key: "a/b.webp", contentType: "image/webp", downloadName: nil),
                       .accelRedirect("/internal/blobs/a/b.webp"))
    }
}

/// What a kill in the middle of a file write leaves, and the sweep's clean-up of it.
final class FileBlobStoreLeftoverTests: XCTestCase {
    func testOnlyOldUnfinishedWritesAreRemoved() throws {
        let root = try makeTemporaryDirectory("gallery-leftovers")
        defer { try? FileManager.default.removeItem(at: root) }  // test scratch
        let store = try FileBlobStore(root: root)
        try store.put(key: "originals/ab/photo.jpg", data: Data("photo".utf8), contentType: "image/jpeg")
        let dir = root.appendingPathComponent("originals/ab")
        let killed = dir.appendingPathComponent(".tmp-killed"), writing = dir.appendingPathComponent(".tmp-writing")
        for file in [killed, writing] { try Data("half".utf8).write(to: file) }
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: killed.path)
        let cutoff = Date().addingTimeInterval(-3600)
        XCTAssertEqual(try store.removeAbandonedWrites(startedBefore: cutoff, dryRun: true), ["originals/ab/.tmp-killed"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: killed.path), "a dry run removes nothing")
        XCTAssertEqual(try store.removeAbandonedWrites(startedBefore: cutoff, dryRun: false), ["originals/ab/.tmp-killed"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: killed.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: writing.path), "a write that may be in progress stays")
        XCTAssertEqual(try store.list(prefix: "", cursor: nil, limit: 10).items.map(\.key), ["originals/ab/photo.jpg"])
    }
}
