import Foundation
import GalleryAWS
import GalleryCore
import GalleryEmbedded
import GalleryMoto
import GalleryTestSupport
import Testing

/// The identity providers the conformance suite runs over, each made fresh for one test case.
enum IdentityBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `LocalIdentityProvider` on a new SQLite file, mailing into an outbox folder.
    case local
    /// `CognitoIdentityProvider` on the suite's moto_server, with a new user pool.
    case cognito

    var testDescription: String { rawValue }

    /// A provider with no accounts, and how to see what it mailed.
    struct Made {
        let provider: IdentityProvider
        /// The newest confirmation code mailed to an address.
        let latestCode: (_ email: String) throws -> String?
        /// How many mails the provider has sent so far; nil where the backend's mail cannot be seen.
        let mailsSent: (() throws -> Int)?
    }

    func make() throws -> Made {
        switch self {
        case .local:
            useFastPasswordHashing()
            let directory = try Shared.scratch("identity")
            let database = try SQLiteDatabase(file: directory.appendingPathComponent("gallery.sqlite3"))
            let outbox = Outbox(directory: directory.appendingPathComponent("outbox"))
            let mailer = try OutboxMailer(directory: outbox.directory, from: "Gallery <gallery@example.org>")
            return Made(provider: LocalIdentityProvider(database: database, mailer: mailer, siteURL: "https://photos.example.org/"),
                        latestCode: { try outbox.latestCode(to: $0) },
                        mailsSent: { try outbox.messages().count })
        case .cognito:
            let client = try Shared.moto().client()
            let (pool, clientID, secret) = try MotoServer.makeUserPool(client)
            // moto mails no code and checks none at ConfirmSignUp: any six digits confirm there.
            return Made(provider: try CognitoIdentityProvider(client: client, userPoolID: pool, clientID: clientID,
                                                              clientSecret: secret),
                        latestCode: { _ in "123456" }, mailsSent: nil)
        }
    }
}
