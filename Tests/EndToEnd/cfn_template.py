"""deploy/aws/gallery.yaml read as CloudFormation reads it, and the variant moto can create.

moto 5.2's CloudFormation models the network, load balancer, groups, launch templates, tables,
bucket, roles and topic, but not the scaling policies, the lifecycle hook, the alarms, Cognito,
the secret or the alarm mail subscription; references to those would fail the whole stack. The
moto variant drops exactly the resources of `MOTO_LACKS` (tests check the template by reading it
for those), puts a placeholder where the rest refer to them, and gives ImageId as a plain AMI id
(moto reserves the public /aws/service SSM names the real parameter resolves)."""
import copy
import json
from pathlib import Path

from cfnlint.decode import decode_str

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "deploy" / "aws" / "gallery.yaml"

MOTO_LACKS = {
    "AWS::AutoScaling::LifecycleHook", "AWS::AutoScaling::ScalingPolicy", "AWS::CloudWatch::Alarm",
    "AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::SecretsManager::Secret",
    "AWS::SNS::Subscription",
}

TEST_PARAMETERS = {
    "DomainName": "gallery.example.com",
    "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
    "ReleaseBucket": "gallery-releases",
}


def load():
    template, matches = decode_str(TEMPLATE.read_text())
    assert not matches, matches
    return json.loads(json.dumps(template))  # plain dicts and lists, as CloudFormation sees them


def moto_variant():
    """(template as JSON text, the logical ids dropped)."""
    template = copy.deepcopy(load())
    dropped = {name for name, r in template["Resources"].items() if r["Type"] in MOTO_LACKS}
    for name in dropped:
        del template["Resources"][name]

    def scrub(node):
        if isinstance(node, dict):
            if set(node) == {"Ref"} and node["Ref"] in dropped:
                return f"placeholder-{node['Ref']}"
            if set(node) == {"Fn::GetAtt"} and node["Fn::GetAtt"][0] in dropped:
                return f"arn:aws:placeholder:::{node['Fn::GetAtt'][0]}"
            if set(node) == {"Fn::Sub"}:
                value = node["Fn::Sub"]
                text = value if isinstance(value, str) else value[0]
                for name in dropped:
                    text = text.replace("${%s}" % name, f"placeholder-{name}").replace(
                        "${%s.Arn}" % name, f"arn:aws:placeholder:::{name}")
                return {"Fn::Sub": text if isinstance(value, str) else [text, scrub(value[1])]}
            return {k: scrub(v) for k, v in node.items()}
        if isinstance(node, list):
            return [scrub(v) for v in node]
        return node

    template = scrub(template)
    template["Parameters"]["ImageId"] = {"Type": "String", "Default": "ami-0deb1212345678900"}
    template.pop("Rules", None)
    return json.dumps(template), dropped
