import Foundation
@testable import GalleryAWS
import GalleryCore
import XCTest

/// moto_server with signature checking on: after the first three actions (which make an IAM
/// user, its policy and its access key) every request must be signed by a known key. Our
/// signer's requests are accepted with the right secret and refused with a wrong one.
final class SignatureCheckingTests: XCTestCase {
    private var moto: MotoServer!

    override func setUpWithError() throws {
        moto = try MotoServer(environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"])
    }

    override func tearDown() {
        moto?.stop()
    }

    /// IAM speaks the query protocol: a form body, an XML answer.
    private func iam(_ client: AWSClient, _ parameters: [(String, String)]) throws -> XMLNode {
        let body = Data((parameters + [("Version", "2010-05-08")])
            .map { "\(SigV4Signer.encode($0.0, keepSlash: false))=\(SigV4Signer.encode($0.1, keepSlash: false))" }
            .joined(separator: "&").utf8)
        let service = AWSService(name: "iam", signingName: "iam", endpointPrefix: "iam", environmentSuffix: "IAM")
        let response = try client.send(service, parameters[0].1, AWSRequest(
            method: "POST", headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: .bytes(body), payloadHash: SHA256Hex.of(String(decoding: body, as: UTF8.self))),
            endpoint: try AWSEndpoint(url: moto.url))
        return try XCTUnwrap(XMLNode.parse(response.body))
    }

    func testWrongSecretIsRefusedRightOneAccepted() throws {
        let bootstrap = try moto.client(region: "us-east-1")
        _ = try iam(bootstrap, [("Action", "CreateUser"), ("UserName", "gallery-test")])
        _ = try iam(bootstrap, [("Action", "PutUserPolicy"), ("UserName", "gallery-test"), ("PolicyName", "all"),
                                ("PolicyDocument", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)])
        let created = try iam(bootstrap, [("Action", "CreateAccessKey"), ("UserName", "gallery-test")])
        let key = try XCTUnwrap(created.child("CreateAccessKeyResult")?.child("AccessKey"))
        let id = try XCTUnwrap(key["AccessKeyId"]), secret = try XCTUnwrap(key["SecretAccessKey"])

        // The right key: DynamoDB (JSON protocol, signed body) and S3 (REST, signed and unsigned payloads).
        let good = try moto.client(credentials: AWSCredentials(accessKeyID: id, secretAccessKey: secret), maxAttempts: 1)
        let tables = DynamoTables(prefix: "auth-")
        _ = try AWSSetup(client: good, tables: tables, bucket: try S3Bucket(client: good, name: "auth-bucket")).run()
        let store = DynamoMetadataStore(client: good, tables: tables)
        try store.updateProfileIfAny()
        let blobs = try S3BlobStore(bucket: try S3Bucket(client: good, name: "auth-bucket"))
        try blobs.put(key: "a/b.txt", data: Data("signed".utf8), contentType: "text/plain")
        try blobs.put(key: "a/photo.jpg", file: try TestData.photo(), contentType: "image/jpeg")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("auth-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: copy) }  // cleanup only
        try blobs.download(key: "a/photo.jpg", to: copy)
        XCTAssertEqual(try Data(contentsOf: copy), try Data(contentsOf: try TestData.photo()))

        // The same key with a wrong secret, and a key moto never issued.
        for credentials in [AWSCredentials(accessKeyID: id, secretAccessKey: secret + "x"),
                            AWSCredentials(accessKeyID: "AKIAUNKNOWNKEY000000", secretAccessKey: secret)] {
            let bad = try moto.client(credentials: credentials, maxAttempts: 1)
            XCTAssertThrowsError(try DynamoMetadataStore(client: bad, tables: tables).image(id: "x")) { error in
                guard case GalleryError.unavailable(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains("dynamodb GetItem"), message)
                XCTAssertTrue(["InvalidSignatureException", "UnrecognizedClientException", "SignatureDoesNotMatch",
                               "InvalidClientTokenId"].contains { message.contains($0) }, message)
                XCTAssertFalse(message.contains(secret), "no secret in the message")
            }
            XCTAssertThrowsError(try S3BlobStore(bucket: try S3Bucket(client: bad, name: "auth-bucket"))
                .put(key: "a/c.txt", data: Data("x".utf8), contentType: "text/plain")) { error in
                guard case GalleryError.unavailable(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.hasPrefix("s3 PutObject: "), message)
            }
        }
    }
}

private extension DynamoMetadataStore {
    /// A signed read and a signed conditional write.
    func updateProfileIfAny() throws {
        XCTAssertNil(try profile(userID: "nobody"))
        XCTAssertThrowsError(try markImageFailed(id: "nobody", reason: "x")) {
            XCTAssertEqual($0 as? GalleryError, .notFound)
        }
    }
}
