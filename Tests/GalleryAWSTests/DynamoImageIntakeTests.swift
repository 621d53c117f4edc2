import Foundation
@testable import GalleryAWS
import GalleryConformance
import GalleryCore
import XCTest

/// Image and job in one DynamoDB transaction (moto): the shared conformance suite.
final class DynamoImageIntakeTests: MotoTestCase {
    private var suite: ImageIntakeConformance!
    private let tables = DynamoTables(prefix: "test-")

    override func setUpWithError() throws {
        let moto = try self.moto
        try moto.reset()
        let client = try moto.client()
        _ = try AWSSetup(client: client, tables: tables, bucket: nil).run()
        let metadata = DynamoMetadataStore(client: client, tables: tables)
        let jobs = DynamoJobQueue(client: client, tables: tables, shards: 4)
        suite = ImageIntakeConformance(intake: DynamoImageIntake(metadata: metadata, jobs: jobs), metadata: metadata,
                                       catalog: DynamoCatalogStore(metadata: metadata), jobs: jobs)
    }

    func testEveryCheckIsWired() throws {
        try assertEveryCheckWired(suiteSource: ImageIntakeConformance.sourceFile, testSource: #filePath)
    }

    func testRecordAndJobTogether() throws { try suite.testRecordAndJobTogether() }
    func testAnExistingIdWritesNeither() throws { try suite.testAnExistingIdWritesNeither() }
    func testARemovedAccountGetsNeither() throws { try suite.testARemovedAccountGetsNeither() }
}
