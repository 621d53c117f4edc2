import Foundation
import GalleryCore

/// The two Auto Scaling calls of a termination lifecycle hook (query protocol, API version
/// 2011-01-01): keep the instance waiting while it drains, then let it go.
public final class AutoScaling: Sendable {
    static let version = "2011-01-01"
    let client: AWSClient

    public init(client: AWSClient) {
        self.client = client
    }

    public struct LifecycleAction: Equatable, Sendable {
        public var groupName: String
        public var hookName: String
        public var instanceID: String

        public init(groupName: String, hookName: String, instanceID: String) {
            self.groupName = groupName
            self.hookName = hookName
            self.instanceID = instanceID
        }

        var parameters: QueryParameters {
            var p = QueryParameters()
            p.add("AutoScalingGroupName", groupName)
            p.add("LifecycleHookName", hookName)
            p.add("InstanceId", instanceID)
            return p
        }
    }

    /// Restarts the hook's heartbeat timeout: the instance may wait that long again.
    public func recordLifecycleActionHeartbeat(_ action: LifecycleAction) throws {
        _ = try client.query(.autoScaling, "RecordLifecycleActionHeartbeat", version: Self.version, action.parameters.pairs)
    }

    /// `CONTINUE` lets the termination proceed (what a drained worker says); `ABANDON` too,
    /// for termination hooks, but without running the group's other hooks.
    public func completeLifecycleAction(_ action: LifecycleAction, result: String = "CONTINUE") throws {
        var p = action.parameters
        p.add("LifecycleActionResult", result)
        _ = try client.query(.autoScaling, "CompleteLifecycleAction", version: Self.version, p.pairs)
    }
}
