"""moto's server app, serialized as in moto_serialized.py, with the two Auto Scaling calls of a
termination lifecycle hook that moto 5.2 lacks: CompleteLifecycleAction and
RecordLifecycleActionHeartbeat. They check what AWS checks — the group, the hook on it, the
instance in it, and for completion a CONTINUE or ABANDON result — against moto's own state,
answer as AWS does, and are recorded; GET /_lifecycle/calls returns the record (JSON).
Prints the port it listens on."""
import json
import threading

from moto.autoscaling import autoscaling_backends
from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import EmptyResult
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

calls = []


def _checked(response, action):
    backend = autoscaling_backends[response.current_account][response.region]
    group_name = response._get_param("AutoScalingGroupName")
    hook = response._get_param("LifecycleHookName")
    instance = response._get_param("InstanceId")
    group = backend.autoscaling_groups.get(group_name)
    if group is None:
        raise ValidationError(f"Group {group_name} not found")
    if f"{group_name}_{hook}" not in backend.lifecycle_hooks:
        raise ValidationError(f"No lifecycle hook {hook} on group {group_name}")
    if instance not in {state.instance.id for state in group.instance_states}:
        raise ValidationError(f"No active Lifecycle Action found with instance ID {instance}")
    record = {"action": action, "group": group_name, "hook": hook, "instance": instance}
    return record


def complete_lifecycle_action(self):
    record = _checked(self, "CompleteLifecycleAction")
    result = self._get_param("LifecycleActionResult")
    if result not in ("CONTINUE", "ABANDON"):
        raise ValidationError("LifecycleActionResult must be CONTINUE or ABANDON")
    record["result"] = result
    calls.append(record)
    return EmptyResult()


def record_lifecycle_action_heartbeat(self):
    calls.append(_checked(self, "RecordLifecycleActionHeartbeat"))
    return EmptyResult()


AutoScalingResponse.complete_lifecycle_action = complete_lifecycle_action
AutoScalingResponse.record_lifecycle_action_heartbeat = record_lifecycle_action_heartbeat

app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def serialized(environ, start_response):
    if environ.get("PATH_INFO") == "/_lifecycle/calls":
        body = json.dumps(calls).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    with lock:
        return list(app(environ, start_response))


server = make_server("127.0.0.1", 0, serialized, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
