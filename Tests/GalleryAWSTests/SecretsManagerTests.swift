import Foundation
@testable import GalleryAWS
import GalleryCore
import GalleryMoto
import XCTest

/// Secret references resolved from Secrets Manager on moto_server, and the backend made
/// from an environment the way the executables make it.
final class SecretsManagerTests: MotoTestCase {
    private var client: AWSClient!

    override func setUpWithError() throws {
        let moto = try self.moto
        try moto.reset()
        client = try moto.client()
    }

    private func createSecret(_ name: String, _ value: String) throws -> String {
        let answer = try client.json(.secretsManager, target: "secretsmanager", "CreateSecret", version: "1.1",
                                     ["Name": name, "SecretString": value])
        return try XCTUnwrap(answer["ARN"] as? String)
    }

    func testResolvesNamesARNsAndJSONFields() throws {
        let arn = try createSecret("gallery/cognito-client-secret", "s3cr3t-value")
        _ = try createSecret("gallery/keys", #"{"session":"k3y-value","port":5432}"#)
        let resolver = SecretResolver(client: client)
        XCTAssertEqual(try resolver.resolve("secretsmanager:gallery/cognito-client-secret"), "s3cr3t-value")
        XCTAssertEqual(try resolver.resolve("secretsmanager:" + arn), "s3cr3t-value")
        XCTAssertEqual(try resolver.resolve("secretsmanager:gallery/keys#session"), "k3y-value")
        XCTAssertEqual(try resolver.resolve("secretsmanager:gallery/keys#port"), "5432")
        XCTAssertEqual(try resolver.resolve("plain value"), "plain value")

        let env = try resolver.resolving([
            "GALLERY_COGNITO_CLIENT_SECRET": "secretsmanager:gallery/cognito-client-secret",
            "GALLERY_SESSION_KEY": "secretsmanager:gallery/keys#session",
            "GALLERY_S3_BUCKET": "gallery-bucket",
        ])
        XCTAssertEqual(env, ["GALLERY_COGNITO_CLIENT_SECRET": "s3cr3t-value", "GALLERY_SESSION_KEY": "k3y-value",
                             "GALLERY_S3_BUCKET": "gallery-bucket"])
    }

    func testErrorsNameTheSettingButNeverTheSecret() throws {
        _ = try createSecret("gallery/plain", "not-json-s3cr3t")
        let resolver = SecretResolver(client: client)
        XCTAssertThrowsError(try resolver.resolving(["GALLERY_X": "secretsmanager:gallery/missing"])) {
            guard case GalleryError.invalid(let message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("GALLERY_X") && message.contains("gallery/missing"), message)
        }
        XCTAssertThrowsError(try resolver.resolve("secretsmanager:gallery/plain#field")) {
            XCTAssertFalse("\($0)".contains("not-json-s3cr3t"), "\($0)")
        }
        expectError(.invalid("")) { try resolver.resolve("secretsmanager:") }
        expectError(.invalid("")) { try resolver.resolve("secretsmanager:gallery/plain#") }
    }

    /// Without references nothing about AWS is needed, not even a region.
    func testAnEnvironmentWithoutReferencesNeedsNoAWS() throws {
        let env = ["GALLERY_BACKEND": "embedded", "HOME": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"]
        XCTAssertEqual(try SecretResolver.resolving(env), env)
    }

    func testTheBackendFromAnEnvironment() throws {
        let moto = try self.moto
        _ = try createSecret("gallery/app-client", "client-secret-from-sm")
        let raw = [
            "HOME": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ACCESS_KEY_ID": "AKIAMOTOTEST", "AWS_SECRET_ACCESS_KEY": "moto-secret", "AWS_REGION": "eu-central-1",
            "AWS_ENDPOINT_URL": moto.url,
            "GALLERY_AWS_PREFIX": "prod-", "GALLERY_S3_BUCKET": "prod-images", "GALLERY_JOB_SHARDS": "8",
            "GALLERY_COGNITO_USER_POOL_ID": "eu-central-1_abc", "GALLERY_COGNITO_CLIENT_ID": "client",
            "GALLERY_COGNITO_CLIENT_SECRET": "secretsmanager:gallery/app-client",
        ]
        let env = try SecretResolver.resolving(raw)
        XCTAssertEqual(env["GALLERY_COGNITO_CLIENT_SECRET"], "client-secret-from-sm")
        let backend = try AWSBackend(environment: env)
        XCTAssertEqual(backend.tables.jobs, "prod-jobs")
        XCTAssertEqual(backend.jobQueue().shards, 8)
        XCTAssertTrue(try backend.bucket().pathStyle, "a configured endpoint means path-style")
        XCTAssertEqual(try backend.identityProvider().secretHash("u"), try CognitoIdentityProvider(
            client: backend.client, userPoolID: "eu-central-1_abc", clientID: "client", clientSecret: "client-secret-from-sm").secretHash("u"))

        let steps = try backend.setup().run()
        XCTAssertTrue(steps.contains { $0.resource == "table prod-images" && $0.state == .created }, "\(steps)")
        XCTAssertTrue(steps.contains { $0.resource == "bucket prod-images" && $0.state == .created }, "\(steps)")
        try backend.blobStore().put(key: "originals/ok.txt", data: Data("x".utf8), contentType: "text/plain")

        expectError(.invalid(""), "bad shard count") { try AWSBackendSettings(environment: ["GALLERY_JOB_SHARDS": "0"]) }
        expectError(.invalid(""), "bad prefix") { try AWSBackendSettings(environment: ["GALLERY_AWS_PREFIX": "a b"]) }
        expectError(.invalid(""), "no bucket") { try AWSBackend(client: backend.client, settings: AWSBackendSettings(environment: [:])).blobStore() }
    }
}
