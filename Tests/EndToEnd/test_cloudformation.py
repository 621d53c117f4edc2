"""deploy/aws/gallery.yaml: cfn-lint clean; its tables are exactly what `gallery setup` makes
(from the one definition in DynamoTables); the stack is created on moto's CloudFormation and
the DynamoDB conformance suites pass on the tables it made; what moto does not model (scaling
policies, drain hook, alarms, Cognito, secret) is checked by reading the template."""
import ast
import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cfnlint.version
import pytest

import cfn_template
from conftest import REPO, bin_dir
from moto_deploy_server import DeployMoto

STACK = "gtest"


def requirement(name):
    for line in (REPO / "Tests" / "requirements.txt").read_text().splitlines():
        if line.split("==")[0].strip().lower() == name:
            return line.split("==")[1].strip()
    raise AssertionError(f"{name} is not pinned in Tests/requirements.txt")


def test_cfn_lint_passes_with_no_errors():
    assert cfnlint.version.__version__ == requirement("cfn-lint"), "run scripts/install-deps --test"
    # The pinned cfn-lint of the interpreter running the tests, not whichever is first on PATH.
    run = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", str(cfn_template.TEMPLATE)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def gallery_setup_tables():
    out = subprocess.run([str(bin_dir() / "gallery"), "setup", "--cloudformation"], capture_output=True, text=True,
                         check=True, env={**os.environ, "GALLERY_BACKEND": "embedded"})
    return json.loads(out.stdout)


def test_the_templates_tables_are_the_ones_gallery_setup_makes():
    template = cfn_template.load()
    tables = {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}
    assert tables == gallery_setup_tables(), "regenerate the tables section with `gallery setup --cloudformation`"


# ------------------------------------------------------------------------------ the stack on moto

@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    m = DeployMoto(tmp_path_factory.mktemp("moto-deploy"))
    yield m
    m.stop()


@pytest.fixture(scope="module")
def stack(moto):
    dropped = moto.create_stack(STACK)
    resources = {r["LogicalResourceId"]: r for r in
                 moto.client("cloudformation").describe_stack_resources(StackName=STACK)["StackResources"]}
    return dropped, resources


def test_the_stack_is_created_on_motos_cloudformation(moto, stack):
    dropped, resources = stack
    template = cfn_template.load()
    # Everything moto models was created; only the types moto lacks were left out.
    assert {r["Type"] for n, r in template["Resources"].items() if n in dropped} == cfn_template.MOTO_LACKS
    assert set(resources) == set(template["Resources"]) - dropped
    assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in resources.values())

    # The network: two public and two private subnets in two AZs.
    ec2 = moto.client("ec2")
    subnets = ec2.describe_subnets(SubnetIds=[resources[n]["PhysicalResourceId"] for n in
                                              ["PublicSubnetA", "PublicSubnetB", "PrivateSubnetA", "PrivateSubnetB"]])["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2

    # Load balancer: 80 redirects to 443, 443 is TLS with the certificate, health on /healthz.
    elb = moto.client("elbv2")
    lb_arn = resources["LoadBalancer"]["PhysicalResourceId"]
    listeners = {l["Port"]: l for l in elb.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]}
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
    assert listeners[80]["DefaultActions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"
    assert listeners[443]["Protocol"] == "HTTPS" and listeners[443]["Certificates"]
    group = elb.describe_target_groups(TargetGroupArns=[resources["WebTargetGroup"]["PhysicalResourceId"]])["TargetGroups"][0]
    assert group["HealthCheckPath"] == "/healthz"

    # Two groups, instances from launch templates with IMDSv2 required and the release's user data.
    autoscaling = moto.client("autoscaling")
    groups = {g["AutoScalingGroupName"]: g for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]}
    assert set(groups) == {f"{STACK}-web", f"{STACK}-workers"}
    assert groups[f"{STACK}-web"]["MinSize"] == 2 and groups[f"{STACK}-workers"]["MinSize"] == 1
    assert groups[f"{STACK}-web"]["TargetGroupARNs"] == [group["TargetGroupArn"]]
    for name, role in [("WebLaunchTemplate", "web"), ("WorkerLaunchTemplate", "worker")]:
        version = ec2.describe_launch_template_versions(LaunchTemplateId=resources[name]["PhysicalResourceId"])[
            "LaunchTemplateVersions"][0]["LaunchTemplateData"]
        assert version["MetadataOptions"]["HttpTokens"] == "required"
        assert version["MetadataOptions"]["InstanceMetadataTags"] == "enabled"
        user_data = base64.b64decode(version["UserData"]).decode()
        assert f"/opt/gallery/scripts/instance-setup {role}" in user_data
        assert "s3://gallery-releases/gallery/gallery-release.tar.gz" in user_data
        env = dict(line.split("=", 1) for line in user_data.split("<<'ENV'\n")[1].split("\nENV")[0].splitlines())
        assert env["GALLERY_AWS_PREFIX"] == f"{STACK}-" and env["GALLERY_BACKEND"] == "aws"
        assert env["GALLERY_S3_BUCKET"] == resources["Bucket"]["PhysicalResourceId"]
        assert env["GALLERY_SHUTDOWN_SECONDS"] == "30"
        if role == "worker":
            assert env["GALLERY_LIFECYCLE_HOOK"] == template["Resources"]["WorkerDrainHook"]["Properties"]["LifecycleHookName"]
            assert env["GALLERY_METRICS_STACK"] == STACK
            assert '--stop-seconds "90"' in user_data

    # The bucket as `gallery setup` makes it.
    s3 = moto.client("s3")
    bucket = resources["Bucket"]["PhysicalResourceId"]
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    # moto's CloudFormation applies only a bucket's encryption and tags; the rest from the template.
    properties = template["Resources"]["Bucket"]["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                                            "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    assert properties["LifecycleConfiguration"]["Rules"][0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert properties["LifecycleConfiguration"]["Rules"][0]["Status"] == "Enabled"

    # Roles: no wildcard action, and a wildcard resource only where AWS has no resource ARN
    # (PutMetricData), narrowed by its namespace condition.
    iam = moto.client("iam")
    statements_seen = []
    for name in ["WebRole", "WorkerRole"]:
        role = resources[name]["PhysicalResourceId"]
        for policy_name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
            if isinstance(document, str):  # moto 5.2 keeps a CloudFormation-made policy as a Python repr
                document = ast.literal_eval(document)
            statements_seen.append(name)
            for statement in document["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not any("*" in a for a in actions), statement
                if statement["Resource"] == "*":
                    assert actions == ["cloudwatch:PutMetricData"], statement
                    assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Gallery"}}
    assert set(statements_seen) == {"WebRole", "WorkerRole"}


def describe(db, name):
    table = db.describe_table(TableName=name)["Table"]
    def indexes(key):
        return sorted(({"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
                       for i in table.get(key, [])), key=lambda i: i["IndexName"])
    return {
        "KeySchema": table["KeySchema"],
        "AttributeDefinitions": sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "GlobalSecondaryIndexes": indexes("GlobalSecondaryIndexes"),
        "LocalSecondaryIndexes": indexes("LocalSecondaryIndexes"),
        "BillingMode": table.get("BillingModeSummary", {}).get("BillingMode"),
    }


def test_the_stacks_tables_and_gallery_setups_agree_on_moto(moto, stack):
    """The same DescribeTable for every table, whether the stack or `gallery setup` made it."""
    env = {**os.environ, **moto.env(), "GALLERY_BACKEND": "aws", "GALLERY_AWS_PREFIX": "setup-",
           "GALLERY_S3_BUCKET": "setup-bucket", "AWS_EC2_METADATA_DISABLED": "true", "GALLERY_IDENTITY_BACKEND": "embedded"}
    run = subprocess.run([str(bin_dir() / "gallery"), "setup"], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    db = moto.client("dynamodb")
    names = [n[len("setup-"):] for n in db.list_tables()["TableNames"] if n.startswith("setup-")]
    assert len(names) == 7
    template_ttl = {r["Properties"]["TableName"]["Fn::Sub"].split("-", 1)[1]: r["Properties"].get("TimeToLiveSpecification")
                    for r in cfn_template.load()["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"}
    template_sse = {r["Properties"]["TableName"]["Fn::Sub"].split("-", 1)[1]: r["Properties"].get("SSESpecification")
                    for r in cfn_template.load()["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"}
    for name in names:
        assert describe(db, f"{STACK}-{name}") == describe(db, f"setup-{name}"), name
        # moto's CloudFormation passes SSESpecification on in CloudFormation's shape (SSEEnabled),
        # which its CreateTable does not read: encryption is compared with the template too.
        assert db.describe_table(TableName=f"setup-{name}")["Table"]["SSEDescription"]["Status"] == "ENABLED"
        assert template_sse[name] == {"SSEEnabled": True}, name
        # moto's CloudFormation ignores TimeToLiveSpecification, so TTL is compared with the template.
        ttl = db.describe_time_to_live(TableName=f"setup-{name}")["TimeToLiveDescription"]
        if ttl["TimeToLiveStatus"] == "ENABLED":
            assert template_ttl[name] == {"AttributeName": ttl["AttributeName"], "Enabled": True}, name
        else:
            assert template_ttl[name] is None, name


def test_the_dynamodb_conformance_suites_pass_on_the_templates_tables(moto, tmp_path):
    """The Swift suites, unchanged, on tables moto's CloudFormation makes from the template's
    table resources (a stack per test: the suites reset moto between tests; the full stack is
    created above)."""
    template = cfn_template.load()
    tables_only = {"AWSTemplateFormatVersion": "2010-09-09",
                   "Resources": {n: r for n, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}}
    path = tmp_path / "tables.json"
    path.write_text(json.dumps(tables_only))
    env = {**os.environ, "GALLERY_TEST_MOTO_URL": moto.endpoint, "GALLERY_TEST_STACK_TABLES": str(path)}
    run = subprocess.run(["swift", "test", "--skip-build", "--filter",
                          "GalleryAWSTests.(DynamoJobQueueTests|DynamoMetadataStoreTests|DynamoCatalogStoreTests)"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    summary = [l for l in run.stdout.splitlines() if "Executed" in l or "error:" in l or "failed" in l]
    assert run.returncode == 0, "\n".join(summary[-40:]) + run.stderr[-3000:]
    executed = re.findall(r"Executed (\d+) tests?, with (\d+) failures?", run.stdout)
    assert executed and int(executed[-1][0]) >= 40 and executed[-1][1] == "0", summary[-5:]


# ------------------------------------------------------------------------------ what moto does not model

def test_the_backlog_policy_divides_queued_and_running_jobs_by_in_service_workers():
    resources = cfn_template.load()["Resources"]
    policy = resources["WorkerBacklogPolicy"]["Properties"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["AutoScalingGroupName"] == {"Ref": "WorkerGroup"}
    config = policy["TargetTrackingConfiguration"]
    assert config["TargetValue"] == {"Ref": "BacklogPerInstanceTarget"}
    metrics = {m["Id"]: m for m in config["CustomizedMetricSpecification"]["Metrics"]}
    published = metric_names_published_by_the_code()
    for id_, name in [("queued", "QueuedJobs"), ("running", "RunningJobs")]:
        stat = metrics[id_]["MetricStat"]
        assert stat["Metric"]["Namespace"] == "Gallery" and stat["Metric"]["MetricName"] == name
        assert name in published
        assert stat["Metric"]["Dimensions"] == [{"Name": "StackName", "Value": {"Ref": "AWS::StackName"}}]
        assert metrics[id_]["ReturnData"] is False
    instances = metrics["instances"]["MetricStat"]["Metric"]
    assert (instances["Namespace"], instances["MetricName"]) == ("AWS/AutoScaling", "GroupInServiceInstances")
    assert instances["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": {"Ref": "WorkerGroup"}}]
    # Group metrics must be collected for GroupInServiceInstances to exist.
    collected = resources["WorkerGroup"]["Properties"]["MetricsCollection"][0]
    assert "GroupInServiceInstances" in collected["Metrics"] and collected["Granularity"] == "1Minute"
    returned = [m for m in metrics.values() if m.get("ReturnData", True)]
    assert len(returned) == 1 and returned[0]["Expression"] == "(queued + running) / IF(instances > 0, instances, 1)"


def metric_names_published_by_the_code():
    source = (REPO / "Sources" / "GalleryAWS" / "BacklogPublisher.swift").read_text()
    line = next(l for l in source.splitlines() if "static let metricNames" in l)
    return set(re.findall(r'"([A-Za-z]+)"', line))


def test_the_drain_hook_and_the_stop_timeouts_agree_with_gallery_shutdown_seconds():
    template = cfn_template.load()
    hook = template["Resources"]["WorkerDrainHook"]["Properties"]
    assert hook["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    assert hook["AutoScalingGroupName"] == {"Ref": "WorkerGroup"}
    assert hook["DefaultResult"] == "CONTINUE"
    assert hook["HeartbeatTimeout"] == {"Fn::FindInMap": ["ShutdownTimeouts", {"Ref": "ShutdownSeconds"}, "HookSeconds"]}
    rows = template["Mappings"]["ShutdownTimeouts"]
    assert set(rows) == set(template["Parameters"]["ShutdownSeconds"]["AllowedValues"])
    heartbeat_every = 60  # gallery lifecycle watch --heartbeat-seconds default
    for shutdown, row in rows.items():
        # Finishing held jobs takes up to GALLERY_SHUTDOWN_SECONDS; releasing and exiting fits in 60 s more.
        assert row["StopSeconds"] == row["HookSeconds"] == int(shutdown) + 60, shutdown
        assert row["HookSeconds"] > heartbeat_every
    # The unit's own timeout fits the default GALLERY_SHUTDOWN_SECONDS the same way, and the
    # comment names the variable that exists.
    unit = (REPO / "deploy" / "gallery-worker@.service").read_text()
    default = int(re.search(r'"GALLERY_SHUTDOWN_SECONDS", (\d+)', (REPO / "Sources" / "GalleryCore" / "Configuration.swift").read_text()).group(1))
    assert f"TimeoutStopSec={default + 60}" in unit
    assert "GALLERY_WORKER_SHUTDOWN_SECONDS" not in unit and "GALLERY_SHUTDOWN_SECONDS" in unit
    assert template["Parameters"]["ShutdownSeconds"]["Default"] == str(default)
    source = (REPO / "Sources" / "gallery" / "LifecycleCommand.swift").read_text()
    assert f"var heartbeatSeconds: Double = {heartbeat_every}" in source


def test_the_alarms_watch_the_published_metrics_and_the_load_balancer():
    resources = cfn_template.load()["Resources"]
    published = metric_names_published_by_the_code()
    oldest = resources["OldestJobAgeAlarm"]["Properties"]
    assert oldest["MetricName"] == "OldestQueuedJobAge" and oldest["MetricName"] in published
    assert oldest["TreatMissingData"] == "breaching", "a stopped publisher must alarm"
    dead = resources["DeadJobsAlarm"]["Properties"]
    assert dead["MetricName"] == "DeadJobs" and dead["Threshold"] == 0 and dead["ComparisonOperator"] == "GreaterThanThreshold"
    for alarm in [oldest, dead]:
        assert alarm["Namespace"] == "Gallery"
        assert alarm["Dimensions"] == [{"Name": "StackName", "Value": {"Ref": "AWS::StackName"}}]
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    lb = {m["Id"]: m for m in resources["LoadBalancer5xxAlarm"]["Properties"]["Metrics"]}
    assert lb["elb"]["MetricStat"]["Metric"]["MetricName"] == "HTTPCode_ELB_5XX_Count"
    assert lb["target"]["MetricStat"]["Metric"]["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert lb["total"]["Expression"] == "FILL(elb, 0) + FILL(target, 0)"


def test_cognito_and_the_secret_are_what_the_responders_expect():
    resources = cfn_template.load()["Resources"]
    pool = resources["UserPool"]["Properties"]
    assert pool["Policies"]["PasswordPolicy"] == {"MinimumLength": 10, "RequireLowercase": False, "RequireUppercase": False,
                                                  "RequireNumbers": False, "RequireSymbols": False}
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False} and pool["AutoVerifiedAttributes"] == ["email"]
    client = resources["UserPoolClient"]["Properties"]
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert client["GenerateSecret"] is False  # the env sets no GALLERY_COGNITO_CLIENT_SECRET
    # 64 characters of [A-Za-z0-9] are base64 of 48 bytes: GALLERY_SECRET_KEY needs ≥ 32.
    generated = resources["SessionKeySecret"]["Properties"]["GenerateSecretString"]
    assert generated == {"PasswordLength": 64, "ExcludePunctuation": True, "IncludeSpace": False}
    assert len(base64.b64decode("A" * generated["PasswordLength"], validate=True)) >= 32
