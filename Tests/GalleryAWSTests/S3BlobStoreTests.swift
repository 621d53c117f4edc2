import Foundation
@testable import GalleryAWS
import GalleryConformance
import GalleryCore
import GalleryCrypto
import GalleryCurl
import XCTest

/// The blob store on S3 (moto_server): the shared conformance suite, then multipart uploads,
/// encryption, content types and the presigned URLs a browser would follow.
final class S3BlobStoreTests: MotoTestCase {
    private var client: AWSClient!
    private var bucket: S3Bucket!
    private var store: S3BlobStore!
    private var scratch: URL!
    private var suite: BlobStoreConformance!

    override func setUpWithError() throws {
        let moto = try self.moto
        try moto.reset()
        client = try moto.client()
        bucket = try S3Bucket(client: client, name: "gallery-test-bucket")
        _ = try AWSSetup(client: client, tables: DynamoTables(prefix: "unused-"), bucket: bucket).run()
        store = try S3BlobStore(bucket: bucket, multipartThreshold: 6 << 20, partSize: 5 << 20)
        scratch = try makeTemporaryDirectory("s3-test")
        suite = BlobStoreConformance(store: store, scratch: scratch)
    }

    override func tearDown() {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }  // cleanup only
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

    // MARK: S3 only

    /// The raw object as S3 keeps it: headers of a HEAD request.
    private func head(_ key: String) throws -> HTTPResponse {
        try bucket.send("HeadObject", key: key, method: "HEAD")
    }

    func testObjectsAreEncryptedAndTypedByTheCaller() throws {
        let photo = try TestData.photo()
        try store.put(key: "originals/ab/photo.jpg", file: photo, contentType: "image/jpeg")
        try store.put(key: "thumbs/ab/photo.webp", data: Data("webp bytes".utf8), contentType: "image/webp")
        let original = try head("originals/ab/photo.jpg")
        XCTAssertEqual(original.header("x-amz-server-side-encryption"), "AES256")
        XCTAssertEqual(original.header("Content-Type"), "image/jpeg")
        XCTAssertEqual(original.header("Content-Length"), String(TestData.size(photo)))
        let thumb = try head("thumbs/ab/photo.webp")
        XCTAssertEqual(thumb.header("x-amz-server-side-encryption"), "AES256")
        XCTAssertEqual(thumb.header("Content-Type"), "image/webp")
    }

    /// Real camera photos joined into one 12 MiB file: three parts of at most 5 MiB.
    func testLargeFilesGoUpInParts() throws {
        var bytes = Data()
        for photo in try TestData.photos() where bytes.count < 12 << 20 { bytes += try Data(contentsOf: photo) }
        bytes = bytes.prefix(12 << 20)
        let big = scratch.appendingPathComponent("big.bin")
        try bytes.write(to: big)
        try store.put(key: "originals/bi/big.bin", file: big, contentType: "application/octet-stream")
        let object = try head("originals/bi/big.bin")
        XCTAssertEqual(object.header("ETag")?.hasSuffix("-3\""), true, "a multipart ETag ends in -<parts>: \(object.header("ETag") ?? "")")
        XCTAssertEqual(object.header("x-amz-server-side-encryption"), "AES256")
        let copy = scratch.appendingPathComponent("copy.bin")
        try store.download(key: "originals/bi/big.bin", to: copy)
        XCTAssertEqual(SHA256.hex(try Data(contentsOf: copy)), SHA256.hex(bytes))

        // Below the threshold: one PUT.
        let photo = try TestData.largestPhoto()
        try store.put(key: "originals/bi/photo.jpg", file: photo, contentType: "image/jpeg")
        XCTAssertEqual(try head("originals/bi/photo.jpg").header("ETag")?.contains("-"), false)
    }

    func testAFailedDownloadLeavesNoFile() throws {
        let target = scratch.appendingPathComponent("never.jpg")
        expectError(.notFound) { try store.download(key: "originals/no/such.jpg", to: target) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), [], "no partial file left behind")
    }

    /// moto serves presigned URLs without checking them (signature, expiry, response-*
    /// overrides); the signature itself is proven against botocore in `SigV4Tests`.
    func testPresignedURLsServeTheObjectAndAreStableWithinAWindow() throws {
        let photo = try TestData.photo()
        try store.put(key: "previews/ab/photo.webp", file: photo, contentType: "image/jpeg")
        guard case .redirect(let url) = try store.delivery(key: "previews/ab/photo.webp", contentType: "image/jpeg",
                                                           downloadName: "Zoë's photo.jpg") else {
            return XCTFail("S3 delivers by redirect")
        }
        XCTAssertTrue(url.hasPrefix(try moto.url + "/gallery-test-bucket/previews/ab/photo.webp?"), url)
        let response = try HTTPClient().send(HTTPRequest(method: "GET", url: url))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body, try Data(contentsOf: photo))

        let query = Dictionary(uniqueKeysWithValues: (URLComponents(string: url)?.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        XCTAssertEqual(query["X-Amz-Expires"], "3600")
        XCTAssertEqual(query["X-Amz-SignedHeaders"], "host")
        XCTAssertEqual(query["response-content-type"], "image/jpeg")
        XCTAssertEqual(query["response-cache-control"], "private, max-age=1800")
        XCTAssertEqual(query["response-content-disposition"],
                       "attachment; filename=\"Zo_'s photo.jpg\"; filename*=UTF-8''Zo%C3%AB%27s%20photo.jpg")
        XCTAssertTrue(query["X-Amz-Credential"]?.hasPrefix("AKIAMOTOTEST/") == true)
        let signedAt = try XCTUnwrap(query["X-Amz-Date"])
        let windowStart = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 1800).rounded(.down) * 1800)
        XCTAssertEqual(signedAt, SigV4Signer.timestamp(windowStart), "signed at the start of the half-hour window")

        guard case .redirect(let again) = try store.delivery(key: "previews/ab/photo.webp", contentType: "image/jpeg",
                                                             downloadName: "Zoë's photo.jpg") else { return XCTFail() }
        XCTAssertEqual(again, url, "the same URL within a window: browsers cache it")
        let fixed = Date(timeIntervalSince1970: 1_767_225_600)
        let other = try S3BlobStore(bucket: bucket, urlLifetime: 60, now: { fixed })
        guard case .redirect(let later) = try other.delivery(key: "previews/ab/photo.webp", contentType: "image/jpeg", downloadName: nil) else {
            return XCTFail()
        }
        XCTAssertNotEqual(later, url)
        XCTAssertTrue(later.contains("X-Amz-Date=20260101T000000Z"), later)
    }

    func testListingForTheOrphanSweep() throws {
        let started = Date().addingTimeInterval(-5)
        for name in ["c", "a", "e", "b", "d"] {
            try store.put(key: "originals/\(name)/\(name).jpg", data: Data(name.utf8), contentType: "image/jpeg")
        }
        try store.put(key: "thumbs/a/a.webp", data: Data([1]), contentType: "image/webp")
        var keys: [String] = []
        var next: String?
        var pages = 0
        repeat {
            let page = try store.objects(prefix: "originals/", continuation: next, limit: 2)
            XCTAssertLessThanOrEqual(page.objects.count, 2)
            XCTAssertTrue(page.objects.allSatisfy { $0.size == 1 && $0.lastModified > started })
            keys += page.objects.map(\.key)
            next = page.next
            pages += 1
        } while next != nil && pages < 10
        XCTAssertEqual(keys, ["originals/a/a.jpg", "originals/b/b.jpg", "originals/c/c.jpg", "originals/d/d.jpg", "originals/e/e.jpg"])
        XCTAssertEqual(pages, 3)
        expectError(.invalid("")) { try store.objects(prefix: "", limit: 0) }
    }

    func testVirtualHostedAddressing() throws {
        let virtual = try S3Bucket(client: client, name: "gallery-test-bucket", pathStyle: false)
        let (endpoint, path) = virtual.location("originals/a b.jpg")
        XCTAssertEqual(endpoint.host, "gallery-test-bucket.127.0.0.1")
        XCTAssertEqual(path, "/originals/a%20b.jpg")
        let (pathEndpoint, pathPath) = bucket.location("originals/x.jpg")
        XCTAssertEqual(pathEndpoint.host, "127.0.0.1")
        XCTAssertEqual(pathPath, "/gallery-test-bucket/originals/x.jpg")
        XCTAssertFalse(try S3Bucket(client: AWSClient(configuration: AWSConfiguration(
            region: "eu-central-1", credentials: StaticCredentialsProvider(AWSCredentials(accessKeyID: "a", secretAccessKey: "b")))),
            name: "gallery-test-bucket").pathStyle, "AWS's own endpoint: virtual-hosted")
    }

    func testSetupIsIdempotentAndReportsWhatExists() throws {
        let setup = AWSSetup(client: client, tables: DynamoTables(prefix: "idem-"), bucket: bucket)
        let first = try setup.run()
        XCTAssertEqual(first.filter { $0.resource.hasPrefix("table ") }.map(\.state), Array(repeating: .created, count: 7))
        XCTAssertEqual(first.first { $0.resource == "bucket gallery-test-bucket" }?.state, .existed)
        let second = try setup.run()
        XCTAssertTrue(second.filter { !$0.resource.hasPrefix("bucket gallery-test-bucket ") }.allSatisfy { $0.state == .existed },
                      second.map(\.description).joined(separator: "\n"))
        XCTAssertTrue(second.contains { $0.resource == "ttl idem-sessions.ttl" && $0.state == .existed })
        XCTAssertTrue(second.contains { $0.resource == "index idem-jobs.claimable" && $0.state == .existed })
    }
}
