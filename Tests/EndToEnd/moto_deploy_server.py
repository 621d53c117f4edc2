"""Starts Tests/EndToEnd/moto_deploy.py (serialized moto with the lifecycle-action calls) on a
free port, for the deployment tests."""
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3

import cfn_template

REGION = "us-east-1"


class DeployMoto:
    def __init__(self, workdir: Path):
        self.log = open(workdir / "moto-deploy.log", "wb")
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("moto_deploy.py"))],
                                     stdout=subprocess.PIPE, stderr=self.log)
        self.port = int(self.proc.stdout.readline())
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def client(self, service):
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id="test", aws_secret_access_key="test")

    def env(self):
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_REGION": REGION}

    def create_stack(self, name):
        """deploy/aws/gallery.yaml's moto variant as stack `name` (with an ACM certificate for its
        listener); returns the logical ids of the resources moto lacks, which were left out."""
        variant, dropped = cfn_template.moto_variant()
        certificate = self.client("acm").request_certificate(DomainName="gallery.example.com")["CertificateArn"]
        parameters = {**cfn_template.TEST_PARAMETERS, "CertificateArn": certificate}
        cf = self.client("cloudformation")
        cf.create_stack(StackName=name, TemplateBody=variant, Capabilities=["CAPABILITY_IAM"],
                        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
        cf.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        return dropped

    def add_drain_hook(self, stack):
        """The template's WorkerDrainHook on the stack's worker group, as CloudFormation would make
        it (moto's CloudFormation does not model lifecycle hooks)."""
        hook = cfn_template.load()["Resources"]["WorkerDrainHook"]["Properties"]
        self.client("autoscaling").put_lifecycle_hook(
            AutoScalingGroupName=f"{stack}-workers", LifecycleHookName=hook["LifecycleHookName"],
            LifecycleTransition=hook["LifecycleTransition"], DefaultResult=hook["DefaultResult"],
            HeartbeatTimeout=cfn_template.load()["Mappings"]["ShutdownTimeouts"]["30"]["HookSeconds"])
        return hook["LifecycleHookName"]

    def lifecycle_calls(self):
        with urllib.request.urlopen(self.endpoint + "/_lifecycle/calls", timeout=5) as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()
