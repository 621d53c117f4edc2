import ArgumentParser
import Foundation
import GalleryAWS
import GalleryBootstrap
import GalleryCore
import Logging

/// `gallery lifecycle watch`: run by `gallery-lifecycle.service` on every worker instance.
/// When the group picks the instance for termination (or a spot interruption is announced) it
/// stops the workers, which finish or release their jobs, and completes the lifecycle action.
struct Lifecycle: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drain the workers when the auto scaling group terminates this instance.",
        subcommands: [Watch.self])

    struct Watch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Poll the instance metadata; on termination stop the workers, then complete the lifecycle action.")

        @Option(help: "The termination lifecycle hook (default: GALLERY_LIFECYCLE_HOOK).")
        var hook: String?

        @Option(help: "The auto scaling group (default: the instance's aws:autoscaling:groupName tag from IMDS).")
        var group: String?

        @Option(help: "Seconds between metadata polls.")
        var pollSeconds: Double = 5

        @Option(help: "Seconds between lifecycle heartbeats while the workers drain.")
        var heartbeatSeconds: Double = 60

        @Option(help: "Shell command that stops the workers and returns once they exited.")
        var stopCommand = "systemctl stop 'gallery-worker@*.service' gallery-metrics.service"

        func run() throws {
            let (config, environment) = try Bootstrap.configuration()
            let logger = Bootstrap.logging(config, label: "gallery.lifecycle")
            guard let hook = hook ?? environment["GALLERY_LIFECYCLE_HOOK"].flatMap({ $0.isEmpty ? nil : $0 }) else {
                throw ValidationError("give --hook or set GALLERY_LIFECYCLE_HOOK")
            }
            let client = try AWSClient(configuration: .fromEnvironment(environment), logger: logger)
            let drain = LifecycleDrain(metadata: InstanceMetadataClient(environment: environment),
                                       autoScaling: AutoScaling(client: client), hookName: hook, groupName: group,
                                       pollInterval: pollSeconds, heartbeatInterval: heartbeatSeconds, logger: logger)
            let command = stopCommand
            _ = drain.watch {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", command]
                try process.run()
                process.waitUntilExit()
                guard process.terminationStatus == 0 else {
                    throw GalleryError.unavailable("\(command) exited with status \(process.terminationStatus)")
                }
            }
        }
    }
}
