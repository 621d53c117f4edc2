import Foundation
import GalleryConformance
import GalleryCore
@testable import GalleryEmbedded
import XCTest

/// Image and job in one SQLite transaction: the shared conformance suite.
final class EmbeddedImageIntakeTests: XCTestCase {
    private var fixture: EmbeddedFixture!
    private var suite: ImageIntakeConformance!

    override func setUpWithError() throws {
        fixture = try EmbeddedFixture()
        let db = fixture.database
        suite = ImageIntakeConformance(intake: SQLiteImageIntake(database: db), metadata: SQLiteMetadataStore(database: db),
                                       catalog: SQLiteCatalogStore(database: db), jobs: SQLiteJobQueue(database: db))
    }

    override func tearDown() {
        suite = nil
        fixture = nil
    }

    func testEveryCheckIsWired() throws {
        try assertEveryCheckWired(suiteSource: ImageIntakeConformance.sourceFile, testSource: #filePath)
    }

    func testRecordAndJobTogether() throws { try suite.testRecordAndJobTogether() }
    func testAnExistingIdWritesNeither() throws { try suite.testAnExistingIdWritesNeither() }
    func testARemovedAccountGetsNeither() throws { try suite.testARemovedAccountGetsNeither() }
}
