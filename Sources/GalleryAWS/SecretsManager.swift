import Foundation
import GalleryCore

/// Secret settings kept in Secrets Manager. A setting whose value is
/// `secretsmanager:<name or ARN>` (optionally `#<key>` to pick one field of a JSON secret) is
/// replaced by the secret once, at start-up; the secret itself never appears in an error.
public final class SecretResolver: Sendable {
    public static let prefix = "secretsmanager:"
    private let client: AWSClient

    public init(client: AWSClient) {
        self.client = client
    }

    /// Resolves every value of `environment` that refers to a secret, each secret fetched
    /// once. An environment without references is returned as it is, without touching AWS
    /// (the embedded backend needs no AWS configuration).
    public static func resolving(_ environment: [String: String]) throws -> [String: String] {
        guard environment.values.contains(where: { $0.hasPrefix(prefix) }) else { return environment }
        return try SecretResolver(client: AWSClient(configuration: .fromEnvironment(environment))).resolving(environment)
    }

    public func resolving(_ environment: [String: String]) throws -> [String: String] {
        var fetched: [String: String] = [:]
        var result = environment
        for (name, value) in environment where value.hasPrefix(Self.prefix) {
            do {
                result[name] = try resolve(value, cache: &fetched)
            } catch let error as GalleryError {
                throw GalleryError.invalid("\(name): \(error)")
            }
        }
        return result
    }

    /// The value itself when it is no reference.
    public func resolve(_ value: String) throws -> String {
        var cache: [String: String] = [:]
        return try resolve(value, cache: &cache)
    }

    private func resolve(_ value: String, cache: inout [String: String]) throws -> String {
        guard value.hasPrefix(Self.prefix) else { return value }
        var id = String(value.dropFirst(Self.prefix.count))
        var field: String?
        // '#' occurs in neither secret names nor ARNs.
        if let hash = id.lastIndex(of: "#") {
            field = String(id[id.index(after: hash)...])
            id = String(id[..<hash])
        }
        guard !id.isEmpty, field?.isEmpty != true else { throw GalleryError.invalid("not a secret reference: \(value)") }
        let secret: String
        if let known = cache[id] {
            secret = known
        } else {
            secret = try fetch(id)
            cache[id] = secret
        }
        guard let field else { return secret }
        guard let object = try? JSONSerialization.jsonObject(with: Data(secret.utf8)) as? [String: Any] else {
            // The parse error would quote the secret; say only what is wrong.
            throw GalleryError.invalid("secret \(id) is not a JSON object, so it has no field \(field)")
        }
        switch object[field] {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        default: throw GalleryError.invalid("secret \(id) has no string field \(field)")
        }
    }

    private func fetch(_ id: String) throws -> String {
        let answer: [String: Any]
        do {
            answer = try client.json(.secretsManager, target: "secretsmanager", "GetSecretValue", version: "1.1", ["SecretId": id])
        } catch let error as AWSError where error.code == "ResourceNotFoundException" {
            throw GalleryError.invalid("secret \(id) does not exist (or has no current version)")
        } catch {
            throw error.asGalleryError
        }
        if let text = answer["SecretString"] as? String { return text }
        if let binary = answer["SecretBinary"] as? String, let data = Data(base64Encoded: binary),
           let text = String(data: data, encoding: .utf8) {
            return text
        }
        throw GalleryError.invalid("secret \(id) holds neither a string nor UTF-8 bytes")
    }
}
