import Foundation
@testable import GalleryAWS
import GalleryCore
import GalleryEmbedded
import Testing

/// The blob stores the conformance suite runs over, each new and empty for one test case.
enum BlobBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `FileBlobStore` under a new directory.
    case files
    /// `S3BlobStore` on the suite's moto_server, in a new bucket; multipart from 6 MiB, so
    /// that the suite's largest photo goes up in one piece and S3BlobStoreTests' in parts.
    case s3

    var testDescription: String { rawValue }

    /// The store, and a scratch directory for what the test downloads.
    func make() throws -> (store: BlobStore, scratch: URL) {
        let scratch = try Shared.scratch("blobs-scratch")
        switch self {
        case .files:
            return (try FileBlobStore(root: try Shared.scratch("blobs")), scratch)
        case .s3:
            let client = try Shared.moto().client()
            let bucket = try S3Bucket(client: client, name: "gallery-test-bucket")
            _ = try AWSSetup(client: client, tables: DynamoTables(prefix: "unused-"), bucket: bucket).run()
            return (try S3BlobStore(bucket: bucket, multipartThreshold: 6 << 20, partSize: 5 << 20), scratch)
        }
    }
}
