import ArgumentParser
import Foundation
import GalleryAWS
import GalleryBootstrap
import GalleryCore
import Logging

/// `gallery metrics publish`: the job backlog to CloudWatch for the worker group's scaling
/// policy. Run by `gallery-metrics.service` on every worker instance; with the jobs in
/// DynamoDB only one instance per minute publishes (see `BacklogPublisher`).
struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish the job backlog to CloudWatch.",
        subcommands: [Publish.self])

    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put QueuedJobs, RunningJobs, DeadJobs and OldestQueuedJobAge to CloudWatch every minute.",
            discussion: """
                GALLERY_METRICS_STACK names the stack (the StackName dimension; required), \
                GALLERY_METRICS_NAMESPACE the namespace (Gallery). Failures are logged and retried \
                next round; the command runs until it is stopped.
                """)

        @Flag(help: "Publish once (unless another instance already did this minute) and exit; non-zero if it failed.")
        var once = false

        @Option(help: "Seconds between rounds.")
        var interval: Double = 60

        mutating func validate() throws {
            guard interval >= 1 else { throw ValidationError("--interval must be at least 1 second") }
        }

        func run() throws {
            let (config, environment) = try Bootstrap.configuration()
            let logger = Bootstrap.logging(config, label: "gallery.metrics")
            guard let stack = environment["GALLERY_METRICS_STACK"], !stack.isEmpty else {
                throw ValidationError("set GALLERY_METRICS_STACK to the stack's name (the StackName dimension)")
            }
            let namespace = environment["GALLERY_METRICS_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? "Gallery"
            let backends = try Bootstrap.backends(config, environment: environment)
            let client = try AWSClient(configuration: .fromEnvironment(environment), logger: logger)
            var election: MinuteElection?
            if config.jobsBackend == .aws, let aws = backends.aws {
                let me = "\(ProcessInfo.processInfo.hostName)/\(getpid())"
                election = MinuteElection(client: aws.client, tables: aws.tables, stack: stack, me: me)
            }
            let publisher = BacklogPublisher(jobs: backends.stores.jobs, cloudWatch: CloudWatch(client: client), namespace: namespace,
                                             stack: stack, election: election, logger: logger)
            if once {
                switch try publisher.publishOnce() {
                case .published(let depth):
                    print("published queued=\(depth.queued) running=\(depth.running) dead=\(depth.dead)")
                case .skipped:
                    print("skipped: another instance published this minute")
                }
                return
            }
            publisher.run(interval: interval)
        }
    }
}
