import Foundation
import GalleryCore
import GalleryCrypto
import GalleryCurl

/// The S3 REST calls on one bucket. Addressing is path-style (`host/bucket/key`, what
/// moto and most S3-compatible stores want) or virtual-hosted (`bucket.host/key`, what AWS
/// prefers); by default path-style exactly when the endpoint was configured.
public final class S3Bucket: Sendable {
    /// Days a deleted or overwritten object stays recoverable as a noncurrent version.
    static let noncurrentDays = 30

    public let name: String
    public let pathStyle: Bool
    let client: AWSClient
    /// Where browsers fetch presigned URLs, when that differs from where we call S3.
    let presignEndpoint: AWSEndpoint?

    public init(client: AWSClient, name: String, pathStyle: Bool? = nil, presignEndpoint: AWSEndpoint? = nil) throws {
        guard (3...63).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") }),
              name.first?.isLetter == true || name.first?.isNumber == true else {
            throw GalleryError.invalid("not an S3 bucket name: \(name)")
        }
        self.client = client
        self.name = name
        self.pathStyle = pathStyle ?? client.configuration.endpoint(for: .s3).isCustom
        self.presignEndpoint = presignEndpoint
    }

    /// The endpoint and the wire path of the bucket, or of a key in it.
    func location(_ key: String?, base: AWSEndpoint? = nil) -> (AWSEndpoint, String) {
        let endpoint = base ?? client.configuration.endpoint(for: .s3)
        let keyPath = key.map { "/" + SigV4Signer.encode($0, keepSlash: true) } ?? ""
        if pathStyle { return (endpoint, "/" + name + keyPath) }
        return (endpoint.withHost(name + "." + endpoint.host), keyPath.isEmpty ? "/" : keyPath)
    }

    func send(_ operation: String, key: String?, method: String, query: [(String, String)] = [],
              headers: [(name: String, value: String)] = [], body: HTTPBody = .none, payloadHash: String = SigV4Signer.emptyPayloadHash,
              timeout: TimeInterval? = nil, responseBodyTo file: URL? = nil) throws -> HTTPResponse {
        let (endpoint, path) = location(key)
        return try client.send(.s3, operation, AWSRequest(method: method, path: path, query: query, headers: headers, body: body,
                                                          payloadHash: payloadHash, timeout: timeout),
                               endpoint: endpoint, responseBodyTo: file)
    }

    /// A small XML body, with the SHA-256 checksum S3 requires of DeleteObjects and the
    /// bucket settings (instead of Content-MD5).
    func sendXML(_ operation: String, method: String, query: [(String, String)], xml: String) throws -> HTTPResponse {
        let data = Data(xml.utf8)
        let digest = SHA256.hash(data)
        return try send(operation, key: nil, method: method, query: query,
                        headers: [("Content-Type", "application/xml"),
                                  ("x-amz-checksum-sha256", Data(digest).base64EncodedString()),
                                  ("x-amz-sdk-checksum-algorithm", "SHA256")],
                        body: .bytes(data), payloadHash: Encoding.hex(digest))
    }

    // MARK: Objects

    /// A transfer of `bytes` gets the call timeout plus a second per MB (no stall survives the
    /// idle timeout anyway).
    func transferTimeout(_ bytes: Int64) -> TimeInterval {
        client.configuration.timeout + Double(bytes) / 1_000_000
    }

    func putObject(key: String, body: HTTPBody, length: Int64, contentType: String, payloadHash: String) throws {
        _ = try send("PutObject", key: key, method: "PUT",
                     headers: [("Content-Type", contentType), ("x-amz-server-side-encryption", "AES256")],
                     body: body, payloadHash: payloadHash, timeout: transferTimeout(length))
    }

    func createMultipartUpload(key: String, contentType: String) throws -> String {
        let response = try send("CreateMultipartUpload", key: key, method: "POST", query: [("uploads", "")],
                                headers: [("Content-Type", contentType), ("x-amz-server-side-encryption", "AES256")])
        guard let id = XMLNode.parse(response.body)?["UploadId"], !id.isEmpty else {
            throw GalleryError.unavailable("s3 CreateMultipartUpload: no UploadId in the answer")
        }
        return id
    }

    func uploadPart(key: String, uploadID: String, number: Int, file: URL, offset: Int64, length: Int64) throws -> String {
        let response = try send("UploadPart", key: key, method: "PUT",
                                query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                body: .file(file, offset: offset, length: length), payloadHash: SigV4Signer.unsignedPayload,
                                timeout: transferTimeout(length))
        guard let etag = response.header("ETag") else {
            throw GalleryError.unavailable("s3 UploadPart: no ETag for part \(number)")
        }
        return etag
    }

    func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)]) throws {
        let list = parts.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(xmlEscaped($0.etag))</ETag></Part>" }.joined()
        let data = Data("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(list)</CompleteMultipartUpload>".utf8)
        let response = try send("CompleteMultipartUpload", key: key, method: "POST", query: [("uploadId", uploadID)],
                                headers: [("Content-Type", "application/xml")], body: .bytes(data),
                                payloadHash: SHA256.hex(data), timeout: transferTimeout(Int64(parts.count) * 1_000_000))
        // S3 may answer 200 and put the failure in the body.
        if let root = XMLNode.parse(response.body), root.name == "Error" {
            throw GalleryError.unavailable("s3 CompleteMultipartUpload: \(root["Code"] ?? "Error"): \(root["Message"] ?? "")")
        }
    }

    func abortMultipartUpload(key: String, uploadID: String) throws {
        _ = try send("AbortMultipartUpload", key: key, method: "DELETE", query: [("uploadId", uploadID)])
    }

    /// Throws `AWSError` with code `NoSuchKey` for a missing object.
    func getObject(key: String, to file: URL) throws {
        // No total limit: a stalled transfer still ends after the idle timeout.
        _ = try send("GetObject", key: key, method: "GET", timeout: 0, responseBodyTo: file)
    }

    /// Up to 1000 keys per call; quiet mode reports only the keys that failed.
    func deleteObjects(_ keys: [String]) throws {
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let objects = keys[start..<min(start + 1000, keys.count)]
                .map { "<Object><Key>\(xmlEscaped($0))</Key></Object>" }.joined()
            let response = try sendXML("DeleteObjects", method: "POST", query: [("delete", "")],
                                       xml: "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>\(objects)</Delete>")
            let errors = XMLNode.parse(response.body)?.all("Error") ?? []
            if let first = errors.first {
                throw GalleryError.unavailable("s3 DeleteObjects: \(errors.count) not deleted, e.g. \(first["Key"] ?? "?"): "
                                               + "\(first["Code"] ?? "Error") \(first["Message"] ?? "")")
            }
        }
    }

    /// One page of ListObjectsV2 under `prefix`, in key order; `next` continues it.
    func listObjects(prefix: String, continuation: String?, maxKeys: Int) throws -> (objects: [S3Object], next: String?) {
        var query: [(String, String)] = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(maxKeys))]
        if let continuation { query.append(("continuation-token", continuation)) }
        let response = try send("ListObjectsV2", key: nil, method: "GET", query: query)
        guard let root = XMLNode.parse(response.body), root.name == "ListBucketResult" else {
            throw GalleryError.unavailable("s3 ListObjectsV2: the answer is not a ListBucketResult")
        }
        let dates = ISO8601DateFormatter()
        dates.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        let objects = root.all("Contents").compactMap { item -> S3Object? in
            guard let key = item["Key"], let modified = item["LastModified"],
                  let date = dates.date(from: modified) ?? plain.date(from: modified) else { return nil }
            return S3Object(key: key, size: Int64(item["Size"] ?? "") ?? 0, lastModified: date)
        }
        let truncated = root["IsTruncated"] == "true"
        return (objects, truncated ? root["NextContinuationToken"] : nil)
    }

    /// A presigned GET URL of `key`, signed at `date` and valid `expires` seconds from then.
    func presignedGet(key: String, query: [(String, String)], expires: Int, date: Date) throws -> String {
        let credentials: AWSCredentials
        do {
            credentials = try client.configuration.credentials.credentials()
        } catch {
            throw GalleryError.unavailable("s3 presign: \(error.asGalleryError)")
        }
        let (endpoint, path) = location(key, base: presignEndpoint)
        let signer = SigV4Signer(service: "s3", region: client.configuration.region)
        return signer.presignedURL(method: "GET", scheme: endpoint.scheme, host: endpoint.authority,
                                   path: endpoint.basePath + path, query: query, expires: expires,
                                   credentials: credentials, date: date)
    }

    // MARK: The bucket itself

    /// Creates the bucket if needed; sets default encryption, blocks public access and
    /// expires abandoned multipart uploads (every time: the settings are idempotent).
    func ensureExists() throws -> [AWSSetup.Step] {
        var steps: [AWSSetup.Step] = []
        do {
            _ = try send("HeadBucket", key: nil, method: "HEAD")
            steps.append(AWSSetup.Step(resource: "bucket \(name)", state: .existed, detail: ""))
        } catch let error as AWSError where error.status == 404 {
            let region = client.configuration.region
            do {
                if region == "us-east-1" {
                    _ = try send("CreateBucket", key: nil, method: "PUT")
                } else {
                    _ = try sendXML("CreateBucket", method: "PUT", query: [],
                                    xml: "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                                        + "<LocationConstraint>\(xmlEscaped(region))</LocationConstraint></CreateBucketConfiguration>")
                }
                steps.append(AWSSetup.Step(resource: "bucket \(name)", state: .created, detail: region))
            } catch let error as AWSError where error.code == "BucketAlreadyOwnedByYou" {
                steps.append(AWSSetup.Step(resource: "bucket \(name)", state: .existed, detail: ""))
            }
        }
        _ = try sendXML("PutBucketEncryption", method: "PUT", query: [("encryption", "")], xml: """
            <ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>\
            <ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>\
            </Rule></ServerSideEncryptionConfiguration>
            """)
        steps.append(AWSSetup.Step(resource: "bucket \(name) default encryption", state: .updated, detail: "AES256"))
        _ = try sendXML("PutPublicAccessBlock", method: "PUT", query: [("publicAccessBlock", "")], xml: """
            <PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\
            <BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>\
            <BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>\
            </PublicAccessBlockConfiguration>
            """)
        steps.append(AWSSetup.Step(resource: "bucket \(name) public access", state: .updated, detail: "blocked"))
        // The bucket's backup: versioning keeps what a delete or an overwrite replaced, for
        // `noncurrentDays`, then the lifecycle rule removes it (and the delete markers left).
        _ = try sendXML("PutBucketVersioning", method: "PUT", query: [("versioning", "")], xml: """
            <VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>
            """)
        steps.append(AWSSetup.Step(resource: "bucket \(name) versioning", state: .updated, detail: "enabled"))
        _ = try sendXML("PutBucketLifecycleConfiguration", method: "PUT", query: [("lifecycle", "")], xml: """
            <LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>\
            <ID>abort-incomplete-multipart-uploads</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>\
            <AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>\
            </Rule><Rule>\
            <ID>expire-replaced-versions</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>\
            <Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>\
            <NoncurrentVersionExpiration><NoncurrentDays>\(Self.noncurrentDays)</NoncurrentDays></NoncurrentVersionExpiration>\
            </Rule></LifecycleConfiguration>
            """)
        steps.append(AWSSetup.Step(resource: "bucket \(name) lifecycle", state: .updated,
                                   detail: "abandoned multipart uploads expire after 1 day, replaced versions after \(Self.noncurrentDays)"))
        return steps
    }
}

/// An object as ListObjectsV2 describes it.
public struct S3Object: Equatable, Sendable {
    public var key: String
    public var size: Int64
    public var lastModified: Date
}
