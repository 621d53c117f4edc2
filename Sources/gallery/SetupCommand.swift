import ArgumentParser
import Foundation
import GalleryAWS
import GalleryBootstrap
import GalleryCore

/// `gallery setup`: makes what the configured backend needs, idempotently, and reports it.
/// AWS: the DynamoDB tables, indexes and TTL, and the S3 bucket (encryption, no public
/// access, a lifecycle rule for abandoned multipart uploads). Embedded: the data directory,
/// the SQLite schema and the blob folder.
struct Setup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the tables, indexes and bucket of the configured backend (safe to run again).")

    @Flag(help: "Print the DynamoDB tables as CloudFormation resources (JSON) instead; touches nothing.")
    var cloudformation = false

    func run() throws {
        if cloudformation {
            // The same specs `setup` creates from; the stack's table names are <stack>-<table>.
            let data = try JSONSerialization.data(withJSONObject: DynamoTables(prefix: "").cloudFormationResources(),
                                                  options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let (config, environment) = try Bootstrap.configuration()
        _ = Bootstrap.logging(config, label: "gallery.admin")
        let stores = [config.metadataBackend, config.jobsBackend, config.blobsBackend, config.identityBackend]
        if stores.contains(.aws) {
            let aws = try AWSBackend(environment: environment)
            for step in try aws.setup().run() { print(step) }
            if config.identityBackend == .aws {
                // Pools are made by whoever owns the AWS account (see README); check we can use it.
                _ = try aws.identityProvider()
                print("checked  Cognito user pool settings (GALLERY_COGNITO_USER_POOL_ID, GALLERY_COGNITO_CLIENT_ID)")
            }
        }
        if stores.contains(.embedded) {
            let backends = try Bootstrap.backends(config, environment: environment)
            _ = try backends.stores.metadata.publicFeed(cursor: nil, limit: 1)  // opens the file and migrates it
            print("ready    SQLite database \(config.databaseFile.path)")
            print("ready    blob folder \(config.blobDirectory.path)")
        }
    }
}
