import ArgumentParser
import Foundation
import GalleryCore
import GalleryUseCases

struct Repair: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue a thumbnail job for every photo left processing with no job.",
        discussion: """
            Uploads write a photo's record and its job in one transaction, but a crash of an \
            older version (or of a set-up whose metadata and jobs are in different backends) \
            between the two writes left the photo processing with nothing to finish it. This \
            finds such photos (processing for longer than --grace, with no queued or running \
            job) and queues their job. Workers run the same every GALLERY_REPAIR_SECONDS. Safe \
            to run at any time; on DynamoDB it scans the images table.
            """)

    @Option(help: ArgumentHelp("Leave photos uploaded less than this long ago alone.", valueName: "seconds"))
    var grace: Int = 600

    mutating func validate() throws {
        guard grace >= 0 else { throw ValidationError("--grace must be 0 or more seconds") }
    }

    func run() throws {
        let site = try Site.open()
        let repaired = try Reconciler(stores: site.backends.stores, logger: site.logger).repair(grace: TimeInterval(grace))
        for id in repaired { print("queued \(id)") }
        note("\(repaired.count) photo(s) had no job and got one")
    }
}
