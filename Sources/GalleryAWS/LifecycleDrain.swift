import Foundation
import GalleryCore
import Logging

/// Scale-in without losing work, on a worker instance: watches the instance metadata for the
/// auto scaling group's decision to terminate it (`autoscaling/target-lifecycle-state` turns
/// `Terminated` while the termination lifecycle hook holds it in `Terminating:Wait`) or for a
/// spot interruption notice (`spot/instance-action`), then stops the workers (SIGTERM: they stop
/// claiming, finish or release what they hold — see `WorkerPool.shutdown`) while sending the
/// hook heartbeats, and finally completes the lifecycle action so the group terminates the
/// instance at once instead of at the hook's timeout.
public final class LifecycleDrain: @unchecked Sendable {
    public enum Reason: String, Equatable, Sendable {
        case scaleIn = "auto scaling termination"
        case spotInterruption = "spot interruption notice"
    }

    private let metadata: InstanceMetadataClient
    private let autoScaling: AutoScaling
    private let hookName: String
    private let groupName: String?
    public var pollInterval: TimeInterval
    public var heartbeatInterval: TimeInterval
    private let logger: Logger

    /// `groupName` nil: read from the instance's `aws:autoscaling:groupName` tag (IMDS instance
    /// tags, which the launch template enables).
    public init(metadata: InstanceMetadataClient, autoScaling: AutoScaling, hookName: String, groupName: String? = nil,
                pollInterval: TimeInterval = 5, heartbeatInterval: TimeInterval = 60, logger: Logger) {
        self.metadata = metadata
        self.autoScaling = autoScaling
        self.hookName = hookName
        self.groupName = groupName
        self.pollInterval = pollInterval
        self.heartbeatInterval = heartbeatInterval
        self.logger = logger
    }

    /// What the metadata service says now; nil while the instance may keep working.
    public func notice() throws -> Reason? {
        if let state = try optional("/latest/meta-data/autoscaling/target-lifecycle-state"),
           state.trimmingCharacters(in: .whitespacesAndNewlines) == "Terminated" {
            return .scaleIn
        }
        // 404 until AWS schedules the interruption, then {"action": "terminate"|"stop"|"hibernate", "time": …}.
        if let action = try optional("/latest/meta-data/spot/instance-action") {
            struct Notice: Decodable { var action: String }
            if let notice = try? JSONDecoder().decode(Notice.self, from: Data(action.utf8)), !notice.action.isEmpty {
                return .spotInterruption
            }
            logger.warning("unreadable spot/instance-action; treating it as an interruption", metadata: ["body": "\(action.prefix(200))"])
            return .spotInterruption
        }
        return nil
    }

    /// Polls until a notice, then drains; returns the reason. Unreachable metadata is logged
    /// and polled again (it is the instance's own link-local service).
    public func watch(stopWorkers: () throws -> Void) -> Reason {
        var failing = false
        while true {
            do {
                if let reason = try notice() {
                    drain(reason, stopWorkers: stopWorkers)
                    return reason
                }
                failing = false
            } catch {
                if !failing { logger.warning("cannot read the instance metadata", metadata: ["error": "\(error)"]) }
                failing = true
            }
            Thread.sleep(forTimeInterval: pollInterval)
        }
    }

    /// Stops the workers with heartbeats, then completes the lifecycle action. A spot
    /// interruption has no lifecycle action unless the group started one too (capacity
    /// rebalancing); completing then fails harmlessly and is only noted.
    public func drain(_ reason: Reason, stopWorkers: () throws -> Void) {
        logger.notice("\(reason.rawValue): stopping the workers")
        let action: AutoScaling.LifecycleAction?
        do {
            action = AutoScaling.LifecycleAction(groupName: try groupName ?? group(), hookName: hookName,
                                                 instanceID: try metadata.get("/latest/meta-data/instance-id"))
        } catch {
            logger.error("cannot name the lifecycle action; the hook will time out by itself", metadata: ["error": "\(error)"])
            action = nil
        }
        let heartbeats = action.map { Heartbeats(autoScaling: autoScaling, action: $0, interval: heartbeatInterval, logger: logger) }
        heartbeats?.start()
        do {
            try stopWorkers()
            logger.notice("workers stopped")
        } catch {
            logger.error("stopping the workers failed; their leases return the jobs they held", metadata: ["error": "\(error)"])
        }
        heartbeats?.stop()
        guard let action else { return }
        do {
            try autoScaling.completeLifecycleAction(action)
            logger.notice("lifecycle action completed", metadata: ["instance": "\(action.instanceID)"])
        } catch let error as AWSError where reason == .spotInterruption && error.code == "ValidationError" {
            logger.info("no lifecycle action to complete for the spot interruption", metadata: ["error": "\(error)"])
        } catch {
            logger.error("cannot complete the lifecycle action; the hook will time out by itself", metadata: ["error": "\(error)"])
        }
    }

    private func group() throws -> String {
        try metadata.get("/latest/meta-data/tags/instance/aws:autoscaling:groupName").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// nil for 404 (not in a group / no notice).
    private func optional(_ path: String) throws -> String? {
        try metadata.getIfPresent(path)
    }
}

/// RecordLifecycleActionHeartbeat every `interval` on its own thread while the workers drain.
private final class Heartbeats: @unchecked Sendable {
    private let autoScaling: AutoScaling
    private let action: AutoScaling.LifecycleAction
    private let interval: TimeInterval
    private let logger: Logger
    private let stopped = NSCondition()
    private var done = false
    private var thread: Thread?

    init(autoScaling: AutoScaling, action: AutoScaling.LifecycleAction, interval: TimeInterval, logger: Logger) {
        self.autoScaling = autoScaling
        self.action = action
        self.interval = interval
        self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in
            while true {
                stopped.lock()
                let deadline = Date().addingTimeInterval(interval)
                while !done, stopped.wait(until: deadline) {}
                let finished = done
                stopped.unlock()
                if finished { return }
                do {
                    try autoScaling.recordLifecycleActionHeartbeat(action)
                    logger.info("lifecycle heartbeat sent")
                } catch {
                    logger.warning("lifecycle heartbeat failed", metadata: ["error": "\(error)"])
                }
            }
        }
        self.thread = thread
        thread.start()
    }

    func stop() {
        stopped.lock()
        done = true
        stopped.signal()
        stopped.unlock()
        while thread?.isFinished == false { usleep(1000) }
    }
}
