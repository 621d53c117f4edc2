import Foundation
import XCTest

// The fault tests again on the AWS backend: DynamoDB and S3 on a serialized moto server.

final class AWSConcurrencyTests: ConcurrencyTests {
    override class var backend: TestBackend { .aws }
    override func testSeveralWorkersClaimingAtOnceCompleteEachJobExactlyOnce() throws {
        try super.testSeveralWorkersClaimingAtOnceCompleteEachJobExactlyOnce()
    }
    override func testAStalledWorkerIsTakenOverAndItsLateCompletionRefused() throws {
        try super.testAStalledWorkerIsTakenOverAndItsLateCompletionRefused()
    }
}

final class AWSProcessFaultTests: ProcessFaultTests {
    override class var backend: TestBackend { .aws }
    override func testSIGTERMLetsTheHeldJobFinishWithinTheDeadline() throws {
        try super.testSIGTERMLetsTheHeldJobFinishWithinTheDeadline()
    }
    override func testSIGTERMPastTheDeadlineReleasesTheJobForTheNextWorkerAtOnce() throws {
        try super.testSIGTERMPastTheDeadlineReleasesTheJobForTheNextWorkerAtOnce()
    }
    override func testKill9MidJobManyTimesOverAStreamOfUploadsLeavesEveryImageReady() throws {
        try super.testKill9MidJobManyTimesOverAStreamOfUploadsLeavesEveryImageReady()
    }
}

final class AWSStorageOutageTests: StorageOutageTests {
    override class var backend: TestBackend { .aws }
    override func testWorkersBackOffLogClearlyAndResumeWithNothingLost() throws {
        try super.testWorkersBackOffLogClearlyAndResumeWithNothingLost()
    }
    override func testAnObjectStoreOutageMidJobGivesTheJobBackWithoutSpendingAnAttempt() throws {
        try super.testAnObjectStoreOutageMidJobGivesTheJobBackWithoutSpendingAnAttempt()
    }
}

final class AWSAccountPurgeTests: AccountPurgeTests {
    override class var backend: TestBackend { .aws }
    override func testEverythingOfARemovedAccountGoesAndNothingOfOthers() throws {
        try super.testEverythingOfARemovedAccountGoesAndNothingOfOthers()
    }
    override func testALiveAccountIsNeverPurged() throws {
        try super.testALiveAccountIsNeverPurged()
    }
}
