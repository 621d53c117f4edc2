import Foundation
@testable import GalleryAWS
import XCTest

/// The tables the DynamoDB suites run on: made by `gallery setup` (AWSSetup), or — when
/// `GALLERY_TEST_STACK_TABLES` names a CloudFormation template (Tests/EndToEnd/test_cloudformation.py
/// writes deploy/aws/gallery.yaml's table resources there and points the suites at its moto) —
/// by moto's CloudFormation from that template, as a stack named after the prefix
/// (`test-` → stack `test`, whose tables are `test-profiles`, …).
func provisionTables(client: AWSClient, tables: DynamoTables) throws {
    guard let path = ProcessInfo.processInfo.environment["GALLERY_TEST_STACK_TABLES"], !path.isEmpty else {
        _ = try AWSSetup(client: client, tables: tables, bucket: nil).run()
        return
    }
    let body = try String(contentsOfFile: path, encoding: .utf8)
    XCTAssertTrue(tables.prefix.hasSuffix("-"), "stack tables are <stack>-<table>")
    let stack = String(tables.prefix.dropLast())
    _ = try client.query(.cloudFormation, "CreateStack", version: "2010-05-15",
                         [("StackName", stack), ("TemplateBody", body)])
    let deadline = Date().addingTimeInterval(60)
    while true {
        let answer = try client.query(.cloudFormation, "DescribeStacks", version: "2010-05-15", [("StackName", stack)])
        let status = answer.find("StackStatus")?.text ?? "?"
        if status == "CREATE_COMPLETE" { break }
        guard status.hasSuffix("IN_PROGRESS"), Date() < deadline else {
            throw NSError(domain: "StackTables", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "stack \(stack): \(status) \(answer.find("StackStatusReason")?.text ?? "")"])
        }
        Thread.sleep(forTimeInterval: 0.1)
    }
    // moto's CloudFormation ignores TimeToLiveSpecification (5.2.1); apply the template's as
    // CloudFormation does, so `gallery setup` afterwards finds what it would on AWS.
    let db = DynamoDB(client: client)
    let template = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
    for case let resource as [String: Any] in ((template?["Resources"] as? [String: Any]) ?? [:]).values {
        guard let properties = resource["Properties"] as? [String: Any],
              let ttl = properties["TimeToLiveSpecification"] as? [String: Any],
              let sub = (properties["TableName"] as? [String: Any])?["Fn::Sub"] as? String else { continue }
        let name = sub.replacingOccurrences(of: "${AWS::StackName}", with: stack)
        _ = try db.call("UpdateTimeToLive", ["TableName": name, "TimeToLiveSpecification": ttl])
    }
    for name in tables.all {
        _ = try db.call("DescribeTable", ["TableName": name])
    }
}
